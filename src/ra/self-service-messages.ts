import type { Catalogue } from '../i18n/messages.js';

/** Texts of the subscriber's own steps in the portal (src/ra/self-service.ts), zh-CN and en. */
export const SELF_SERVICE_MESSAGES = {
  'ra.portal-unknown-ra': {
    'zh-CN': '请选择一个正在受理业务的注册机构',
    en: 'Choose a registration authority that is accepting applications',
  },
  'ra.portal-access-refused': {
    'zh-CN': '受理号或查询码不正确，或查询已锁定（连续错误 {max} 次后锁定，请联系注册机构重新发放）',
    en: 'Wrong tracking number or code, or access is locked (it locks after {max} wrong codes; ask your registration authority for a new code)',
  },
  'ra.portal-sign-in-required': {
    'zh-CN': '请先用受理号和查询码登录（会话可能已过期）',
    en: 'Sign in with your tracking number and code first (the session may have expired)',
  },
  'ra.portal-unknown-certificate': {
    'zh-CN': '您名下没有序列号为 {serial} 的证书',
    en: 'You hold no certificate with serial {serial}',
  },
  'ra.portal-application-open': {
    'zh-CN': '您已有一份尚未办结的申请（{application}），请等待注册机构审核或完成下载后再申请',
    en: 'You already have an application in progress ({application}); wait for the RA\'s review or finish the download before applying again',
  },
  'ra.portal-certificate-in-force': {
    'zh-CN': '您的同类证书 {serial} 仍然有效：如需延长请申请更新，如需停用请先吊销',
    en: 'Your certificate {serial} for this purpose is still in force: renew it to extend it, or revoke it first',
  },
} satisfies Catalogue;

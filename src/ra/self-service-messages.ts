import type { Catalogue } from '../i18n/messages.js';

/** Texts of the subscriber's own steps in the portal (src/ra/self-service.ts), zh-CN and en. */
export const SELF_SERVICE_MESSAGES = {
  'ra.portal-unknown-ra': {
    'zh-CN': '请选择一个正在受理业务的注册机构',
    en: 'Choose a registration authority that is accepting applications',
  },
  'ra.portal-unknown-access': {
    'zh-CN': '受理号不存在，请核对注册时获得的 16 位受理号',
    en: 'Unknown tracking number; check the 16-digit number you were given at registration',
  },
  'ra.portal-wrong-code': {
    'zh-CN': '查询码错误，还可尝试 {remaining} 次',
    en: 'Wrong tracking code; {remaining} attempts left',
  },
  'ra.portal-access-locked': {
    'zh-CN': '查询码错误次数过多，已锁定，请联系注册机构重新发放',
    en: 'Too many wrong tracking codes: access is locked; ask your registration authority for a new code',
  },
  'ra.portal-sign-in-required': {
    'zh-CN': '请先用受理号和查询码登录（会话可能已过期）',
    en: 'Sign in with your tracking number and code first (the session may have expired)',
  },
  'ra.portal-unknown-certificate': {
    'zh-CN': '您名下没有序列号为 {serial} 的证书',
    en: 'You hold no certificate with serial {serial}',
  },
} satisfies Catalogue;

import type { Catalogue } from '../i18n/messages.js';

export const AGREEMENT_MESSAGES = {
  'agreement.none-published': {
    'zh-CN': '尚未发布订户协议，无法受理申请；请 CA 管理员先发布协议版本',
    en: 'No subscriber agreement has been published, so no application can be taken; a CA administrator must publish a version first',
  },
  'agreement.unknown-version': {
    'zh-CN': '没有版本号为 {version} 的订户协议',
    en: 'There is no subscriber agreement version {version}',
  },
  'agreement.version-exists': {
    'zh-CN': '订户协议版本 {version} 已发布，已发布的版本不能修改',
    en: 'Subscriber agreement version {version} is already published and cannot be changed',
  },
  'agreement.bad-version-id': {
    'zh-CN': '协议版本号只能包含字母、数字、点、连字符和下划线（最多 32 个字符）',
    en: 'An agreement version id may contain only letters, digits, dots, hyphens and underscores (at most 32 characters)',
  },
  'agreement.empty-text': {
    'zh-CN': '协议正文不能为空',
    en: 'The agreement text must not be empty',
  },
} satisfies Catalogue;

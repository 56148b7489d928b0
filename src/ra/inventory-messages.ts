import type { Catalogue } from '../i18n/messages.js';

/** The certificate inventory's refusals (src/ra/inventory.ts), in zh-CN and en. */
export const INVENTORY_MESSAGES = {
  'inventory.bad-filter': {
    'zh-CN': '筛选条件 {field} 无效：{value}',
    en: 'The filter {field} is not valid: {value}',
  },
} satisfies Catalogue;

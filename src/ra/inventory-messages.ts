import type { Catalogue } from '../i18n/messages.js';

/** The certificate inventory's refusals (src/ra/inventory.ts), in zh-CN and en. */
export const INVENTORY_MESSAGES = {
  'inventory.bad-filter': {
    'zh-CN': '筛选条件 {field} 无效：{value}',
    en: 'The filter {field} is not valid: {value}',
  },
  // Page numbers are an OFFSET (the database reads every row above the page): deep lists are walked by cursor.
  'inventory.page-too-deep': {
    'zh-CN': '按页码只能翻到列表的前 {rows} 条（每页 {pageSize} 条时最多到第 {deepest} 页），第 {page} 页超出了这个范围。更深的位置请按游标翻页：把上一页返回的 next 作为 after 参数传入（往回翻则把后一页的 previous 作为 before 传入）。',
    en: 'Page {page} lies past the first {rows} rows of the list, as deep as page numbers go (page {deepest} at {pageSize} a page). Go deeper by cursor: pass the previous page\'s next as after= (or, going back, the following page\'s previous as before=).',
  },
} satisfies Catalogue;

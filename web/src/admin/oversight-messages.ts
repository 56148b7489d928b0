/**
 * The texts of the pages that keep the RA's people in check (issue 20 part A):
 * operators and roles, the audit-log viewer, and the warnings before an
 * approval. Spread into the catalogues of src/messages.ts; the English one
 * must have exactly the Chinese one's keys.
 */
export const OVERSIGHT_ZH = {
  'approval.refused': '您不能批准这份申请',
  'approval.warnings': '批准前请注意',
  'approval.acknowledge': '我已阅读以上提示，仍要批准',
  'approval.acknowledge-required': '请先确认已阅读以上提示。',
  'approval.recorded': '批准时的提示已记入审计日志：',
  'approval.policy': '审核方式',
  'approval.policy.two-person': '双人审核（登记人不能批准）',
  'approval.policy.single-person': '单人审核（同一人登记并批准时提示并记录）',
} as const;

export type OversightKey = keyof typeof OVERSIGHT_ZH;

export const OVERSIGHT_EN: Record<OversightKey, string> = {
  'approval.refused': 'You cannot approve this application',
  'approval.warnings': 'Before you approve',
  'approval.acknowledge': 'I have read the above and approve all the same',
  'approval.acknowledge-required': 'Confirm first that you have read the above.',
  'approval.recorded': 'Recorded in the audit log with the approval:',
  'approval.policy': 'Approval',
  'approval.policy.two-person': 'Two people (the registering officer cannot approve)',
  'approval.policy.single-person': 'One person allowed (warned and recorded when the same person registers and approves)',
};

import type { Catalogue } from '../i18n/messages.js';

/** Texts of the status domain: revocation, CRLs, OCSP, the public status query. */
export const STATUS_MESSAGES = {
  // RFC 5280 §5.3.1 reasons in words (the same words as the web application's), for sentences people read.
  'revocation.reason.unspecified': { 'zh-CN': '未说明', en: 'unspecified' },
  'revocation.reason.keyCompromise': { 'zh-CN': '密钥泄露', en: 'key compromise' },
  'revocation.reason.cACompromise': { 'zh-CN': 'CA 密钥泄露', en: 'CA compromise' },
  'revocation.reason.affiliationChanged': { 'zh-CN': '信息变更', en: 'affiliation changed' },
  'revocation.reason.superseded': { 'zh-CN': '已被替换', en: 'superseded' },
  'revocation.reason.cessationOfOperation': { 'zh-CN': '停止使用', en: 'cessation of operation' },
  'revocation.reason.privilegeWithdrawn': { 'zh-CN': '权利被撤销', en: 'privilege withdrawn' },
  'revocation.reason.aACompromise': { 'zh-CN': 'AA 密钥泄露', en: 'AA compromise' },
  'revocation.channel.subscriber': { 'zh-CN': '订户本人申请', en: 'at the subscriber’s request' },
  'revocation.channel.rights-holder': { 'zh-CN': '合法权利继承人申请', en: 'at the request of a legal rights holder' },
  'revocation.channel.ra': { 'zh-CN': '注册机构', en: 'by the registration authority' },
  'revocation.channel.ca': { 'zh-CN': 'CA 主动吊销', en: 'by the CA on its own motion' },
  'crl.kind.full': { 'zh-CN': '完整', en: 'full' },
  'crl.kind.delta': { 'zh-CN': '增量', en: 'delta' },
  'revocation.already-revoked': {
    'zh-CN': '证书 {serial} 已于 {revokedAt} 吊销（原因 {reason}），吊销不可撤销，不能再次吊销',
    en: 'Certificate {serial} was already revoked at {revokedAt} ({reason}); a revocation is final and cannot be repeated',
  },
  'revocation.bad-channel': {
    'zh-CN': '未知的吊销渠道 {channel}（可用：{known}）',
    en: 'Unknown revocation channel {channel} (known: {known})',
  },
  'revocation.requester-required': {
    'zh-CN': '必须说明由谁申请吊销',
    en: 'The requester of the revocation must be named',
  },
  'revocation.bad-ground': {
    'zh-CN': '未知的 CA 吊销事由 {ground}（可用：{known}）',
    en: 'Unknown CA revocation ground {ground} (known: {known})',
  },
  'revocation.ground-needs-ca': {
    'zh-CN': '吊销事由 {ground} 只能由 CA 主动吊销时使用',
    en: 'Ground {ground} is only for revocations the CA initiates',
  },
  'revocation.ground-required': {
    'zh-CN': 'CA 主动吊销必须给出协议规定的事由（{known}）',
    en: 'A CA-initiated revocation needs one of the grounds of the agreement ({known})',
  },
  'revocation.ground-reason-mismatch': {
    'zh-CN': '吊销事由 {ground} 对应的吊销原因是 {expected}，而不是 {reason}',
    en: 'Ground {ground} maps to reason {expected}, not {reason}',
  },
  'revocation.reason-required': {
    'zh-CN': '必须给出吊销原因（{known}）',
    en: 'A revocation reason is required ({known})',
  },
  'revocation.bad-reason': {
    'zh-CN': '不能使用的吊销原因 {reason}（可用：{known}）',
    en: 'Revocation reason {reason} cannot be used (usable: {known})',
  },
  'revocation.reason-only-for-ca': {
    'zh-CN': '吊销原因 {reason} 只适用于 CA 证书',
    en: 'Revocation reason {reason} applies to CA certificates only',
  },
  'revocation.justification-required': {
    'zh-CN': '通过渠道 {channel} 吊销必须填写书面理由',
    en: 'A revocation through channel {channel} needs a written justification',
  },
  'revocation.justification-too-long': {
    'zh-CN': '吊销理由过长（上限 {limit} 字）',
    en: 'The justification is too long (limit {limit} characters)',
  },
  'revocation.root-not-revocable': {
    'zh-CN': '根 CA 证书 {serial} 是自签名证书，不能列入 CRL 吊销，只能从信任列表中移除',
    en: 'Root CA certificate {serial} is self-signed and cannot be revoked on a CRL; it is withdrawn from trust stores instead',
  },
  'revocation.bad-invalidity-date': {
    'zh-CN': '失效日期无效或晚于当前时间：{value}',
    en: 'The invalidity date is invalid or in the future: {value}',
  },
  'crl.root-offline': {
    'zh-CN': '根 CA {caId} 离线：其 CRL 只能在根密钥仪式中签发（signet ca root-ceremony），运行中的服务不使用根密钥签名',
    en: 'Root CA {caId} stays offline: its CRL is signed only in a root key ceremony (signet ca root-ceremony), never by a running server',
  },
  'root.ceremony-not-root': {
    'zh-CN': '{caId} 不是根 CA，根密钥仪式只针对根 CA',
    en: '{caId} is not a root CA; the root key ceremony is for a root CA',
  },
  'root.ceremony-bad-days': {
    'zh-CN': 'nextUpdate 天数必须是 1 到 {max} 之间的整数，而不是 {days}',
    en: 'The nextUpdate must be a whole number of days from 1 to {max}, not {days}',
  },
  'crl.deltas-off': {
    'zh-CN': 'CA {caId} 不发布增量 CRL：根 CA 从不发布；签发 CA 需设置 SIGNET_DELTA_CRLS=on（默认关闭，原因见 docs/interoperability.md）',
    en: 'CA {caId} publishes no delta CRLs: a root never does; an issuing CA does with SIGNET_DELTA_CRLS=on (off by default, see docs/interoperability.md)',
  },
  'crl.none-published': {
    'zh-CN': 'CA {caId} 尚未发布 {kind} CRL',
    en: 'CA {caId} has not published a {kind} CRL yet',
  },
  'crl.no-such-partition': {
    'zh-CN': 'CA {caId} 不发布分区 CRL {index}/{count}（分区数由 SIGNET_CRL_PARTITIONS 列出，根 CA 不分区）',
    en: 'CA {caId} publishes no partition CRL {index} of {count} (the counts are listed in SIGNET_CRL_PARTITIONS; a root is never partitioned)',
  },
  'crl.none-in-force': {
    'zh-CN': '{at} 时 CA {caId} 没有有效的 CRL',
    en: 'No CRL of CA {caId} was in force at {at}',
  },
  'crl.no-such-number': {
    'zh-CN': 'CA {caId} 没有发布过第 {number} 号 CRL',
    en: 'CA {caId} never published a CRL numbered {number}',
  },
  'crl.bad-time': {
    'zh-CN': '无效的时间：{value}（应为 ISO-8601，如 2026-03-01T10:00:00Z）',
    en: 'Invalid time: {value} (expected ISO-8601, e.g. 2026-03-01T10:00:00Z)',
  },
  'crl.lint-failed': {
    'zh-CN': 'CA {caId} 的 CRL 未通过 RFC 5280 第 5 节检查，未发布：{detail}',
    en: 'The CRL of CA {caId} failed the RFC 5280 §5 checks and was not published: {detail}',
  },
  'crl.number-taken': {
    'zh-CN': 'CA {caId} 的 CRL 编号 {number} 已被另一节点发布，请重试',
    en: 'CRL number {number} of CA {caId} was published by another node; try again',
  },
  'status.bad-certificate': {
    'zh-CN': '上传的内容不是有效的 X.509 证书（PEM 或 DER）：{detail}',
    en: 'The upload is not a valid X.509 certificate (PEM or DER): {detail}',
  },
  'status.not-ours': {
    'zh-CN': '该证书不是本 CA 签发的（签发者 {issuer}）',
    en: 'This certificate was not issued by this CA (issuer {issuer})',
  },
  'status.good': {
    'zh-CN': '有效',
    en: 'valid',
  },
  'status.revoked': {
    'zh-CN': '已吊销',
    en: 'revoked',
  },
  'status.expired': {
    'zh-CN': '已过期',
    en: 'expired',
  },
  'status.not-yet-valid': {
    'zh-CN': '尚未生效',
    en: 'not yet valid',
  },
  'cli.status-summary': {
    'zh-CN': '证书 {serial}：{status}\n主题：{subject}\n签发者：{issuer}\n有效期：{notBefore} 至 {notAfter}',
    en: 'Certificate {serial}: {status}\nSubject: {subject}\nIssuer: {issuer}\nValid: {notBefore} to {notAfter}',
  },
  'cli.status-revoked': {
    'zh-CN': '吊销时间：{revokedAt}，原因：{reason}',
    en: 'Revoked at {revokedAt}, reason {reason}',
  },
  'cli.revoked': {
    'zh-CN': '已吊销证书 {serial}（原因 {reason}），时间 {revokedAt}；OCSP 立即生效，下一次 CRL 将包含此证书',
    en: 'Revoked certificate {serial} ({reason}) at {revokedAt}; effective in OCSP at once and on the next CRL',
  },
  'cli.crl-published': {
    'zh-CN': '已发布 CA {caId} 的{kind}证书废止列表（CRL），编号 {number}，{entries} 条吊销记录，下次更新 {nextUpdate}',
    en: 'Published the {kind} CRL of CA {caId}, number {number}, {entries} entries, next update {nextUpdate}',
  },
} satisfies Catalogue;

import type { Catalogue } from '../i18n/messages.js';

/** Texts of the CA domain's calendar: identities that expire, roll over, or wait for a ceremony (docs/operations.md). */
export const CA_LIFETIME_MESSAGES = {
  'lifetime.ca-expiring': {
    'zh-CN': '{kind} CA {id} 将于 {notAfter} 到期：请按运维日历举行密钥仪式（docs/operations.md）',
    en: '{kind} CA {id} expires at {notAfter}: hold its ceremony as the operator\'s calendar says (docs/operations.md)',
  },
  'lifetime.no-identity': {
    'zh-CN': 'CA {caId} 没有在用的 {kind} 签名身份',
    en: 'CA {caId} has no {kind} signing identity in force',
  },
  'lifetime.rollover-overdue': {
    'zh-CN': '{kind} 签名身份 {id} 应于 {at} 自动轮换，至今未完成（{notAfter} 到期）',
    en: 'The {kind} signing identity {id} was due to roll over at {at} and has not (it expires at {notAfter})',
  },
  'lifetime.root-crl-stale': {
    'zh-CN': '根 CA {caId} 的 CRL 将于 {at} 过期：请在此之前举行根密钥仪式（signet ca root-ceremony）',
    en: 'The CRL of root CA {caId} goes stale at {at}: hold the root key ceremony before then (signet ca root-ceremony)',
  },
  'lifetime.root-ocsp-stale': {
    'zh-CN': '根 CA {caId} 预签的 OCSP 响应将于 {at} 过期：请在此之前举行根密钥仪式（signet ca root-ceremony）',
    en: 'The pre-signed OCSP responses of root CA {caId} go stale at {at}: hold the root key ceremony before then (signet ca root-ceremony)',
  },
  'lifetime.root-crl-missing': {
    'zh-CN': '根 CA {caId} 还没有 CRL：请举行根密钥仪式（signet ca root-ceremony）',
    en: 'Root CA {caId} has no CRL yet: hold the root key ceremony (signet ca root-ceremony)',
  },
  'lifetime.root-ocsp-missing': {
    'zh-CN': '根 CA {caId} 签发的 {count} 张证书还没有预签的 OCSP 响应：请举行根密钥仪式（signet ca root-ceremony）',
    en: '{count} certificate(s) signed by root CA {caId} have no pre-signed OCSP response yet: hold the root key ceremony (signet ca root-ceremony)',
  },
  'cli.root-ceremony': {
    'zh-CN': '根密钥仪式完成：根 CA {caId} 的 CRL 编号 {number}，{responses} 个 OCSP 响应（{certificates} 张证书），有效至 {nextUpdate}',
    en: 'Root key ceremony done: CRL number {number} of root CA {caId}, {responses} OCSP responses ({certificates} certificates), current until {nextUpdate}',
  },
  'ca.sm2-id-conflict': {
    'zh-CN': 'SM2 密钥（SPKI SHA-256 {fingerprint}）在数据库中登记的用户标识为“{stored}”，而密封的私钥携带“{sealed}”：拒绝用它签名，否则其他节点无法验证其签名',
    en: 'The SM2 key with SPKI SHA-256 {fingerprint} is recorded with distinguishing ID "{stored}" but its sealed key carries "{sealed}": it will not sign, or no other node could verify its signatures',
  },
  'cli.new-issuing': {
    'zh-CN': '已创建新的签发 CA {issuing}（接替 {predecessor}，有效至 {notAfter}），新证书由它签发；旧 CA 继续提供其证书的 CRL 与 OCSP',
    en: 'Created issuing CA {issuing} (successor of {predecessor}, valid until {notAfter}); new certificates come from it, the old CA keeps answering CRL and OCSP for its own',
  },
  'ca.config.crl-partitions-invalid': {
    'zh-CN': '{variable} 须为 off，或一个或多个用逗号分隔的分区数（每个为 2 到 {max} 之间的整数），而不是 {value}',
    en: '{variable} must be off or a comma-separated list of partition counts, each a whole number from 2 to {max}, not {value}',
  },
  // What a running deployment needs but was not given (500: not the asker's fault).
  'ca.hsm-not-configured': {
    'zh-CN': '没有配置 PKCS#11 令牌，无法在 HSM 中生成或打开密钥 {owner}：请设置 SIGNET_PKCS11_MODULE、SIGNET_PKCS11_TOKEN 与 SIGNET_PKCS11_PIN（或 SIGNET_PKCS11_PIN_FILE）',
    en: 'No PKCS#11 token is configured, so the key {owner} cannot be made or opened in an HSM: set SIGNET_PKCS11_MODULE, SIGNET_PKCS11_TOKEN and SIGNET_PKCS11_PIN (or SIGNET_PKCS11_PIN_FILE)',
  },
  'ca.root-passphrase-missing': {
    'zh-CN': '根密钥仪式要把根 CA {caId} 的私钥加密存入离线文件，但没有配置根密钥口令：请设置 SIGNET_ROOT_PASSPHRASE（或 SIGNET_ROOT_PASSPHRASE_FILE）',
    en: 'The root ceremony seals the key of root CA {caId} into an offline file, but no root passphrase is configured: set SIGNET_ROOT_PASSPHRASE (or SIGNET_ROOT_PASSPHRASE_FILE)',
  },
  'ca.identifier-key-missing': {
    'zh-CN': '证书模板要求以带密钥的散列代替身份证件号码，但没有配置该密钥：它由个人信息密钥派生，请设置 SIGNET_PII_KEY（或 SIGNET_PII_KEY_FILE）',
    en: 'The profile replaces ID numbers by a keyed hash, but no key for it is configured: it derives from the personal-data key, so set SIGNET_PII_KEY (or SIGNET_PII_KEY_FILE)',
  },
  'ca.hsm-token-not-found': {
    'zh-CN': 'PKCS#11 模块 {module} 中没有标签为 {token} 的令牌：请检查 SIGNET_PKCS11_TOKEN 与 SIGNET_PKCS11_MODULE，或先初始化该令牌',
    en: 'The PKCS#11 module {module} has no token labelled {token}: check SIGNET_PKCS11_TOKEN and SIGNET_PKCS11_MODULE, or initialise the token first',
  },
  'ca.hsm-key-not-found': {
    'zh-CN': 'PKCS#11 令牌 {token} 中找不到密钥 {label}（ID {id}）：数据库记录的密钥不在该令牌里，可能连接了别的令牌，或密钥已被删除',
    en: 'The key {label} (ID {id}) is not on the PKCS#11 token {token}: the key the database records is not there, so another token may be connected or the key was deleted',
  },
  'ca.key-storage-unknown': {
    'zh-CN': '密钥 {owner} 记录的存放方式 {storage} 无法识别，无法打开该密钥：数据库中的记录可能已损坏',
    en: 'The key {owner} is recorded as kept in {storage}, which Signet does not know, so it cannot be opened: its row in the database may be damaged',
  },
  // The operator's own input (a passphrase given at the CLI or in the environment): 400.
  'ca.key-passphrase-too-short': {
    'zh-CN': '用于加密密钥 {owner} 的口令须至少 {min} 个字符',
    en: 'The passphrase sealing the key {owner} must be at least {min} characters',
  },
} satisfies Catalogue;

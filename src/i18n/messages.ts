import type { Locale } from './locale.js';
import { EVIDENCE_MESSAGES } from '../evidence/messages.js';
import { STATUS_MESSAGES } from '../status/messages.js';
import { TSA_MESSAGES } from '../tsa/messages.js';
import { RA_MESSAGES } from '../ra/messages.js';
import { SELF_SERVICE_MESSAGES } from '../ra/self-service-messages.js';
import { AGREEMENT_MESSAGES } from '../agreement/messages.js';
import { KMC_MESSAGES } from '../kmc/messages.js';
import { SERVICE_MESSAGES } from '../service/messages.js';
import { AUDIT_MESSAGES } from '../audit/messages.js';
import { CONFIG_MESSAGES } from '../config/messages.js';
import { INVENTORY_MESSAGES } from '../ra/inventory-messages.js';
import { CA_LIFETIME_MESSAGES } from '../ca/messages.js';
import { CLI_MESSAGES } from '../cli/messages.js';
import { DEPLOYMENT_MESSAGES } from '../deployment/messages.js';
import { STORE_MESSAGES } from '../store/messages.js';
import { FIELD_MESSAGES } from './field-words.js';
import { EST_MESSAGES } from '../est/messages.js';
import { ACME_MESSAGES } from '../acme/messages.js';
import { CMP_MESSAGES } from '../cmp/messages.js';
import { SCEP_MESSAGES } from '../scep/messages.js';
import { HTTP_MESSAGES } from '../http/messages.js';

export type Catalogue = Record<string, Record<Locale, string>>;

/**
 * Every text a person reads, in both languages. Placeholders are {name}.
 * Codes are stable: clients may branch on them, people read the text.
 * Each domain keeps its texts in src/<domain>/messages.ts and they are merged here.
 */
const CORE_MESSAGES = {
  'request.malformed-csr': {
    'zh-CN': '证书请求不是有效的 PKCS#10（DER 或 PEM）：{detail}',
    en: 'The certificate request is not a valid PKCS#10 (DER or PEM): {detail}',
  },
  'request.bad-signature': {
    'zh-CN': '证书请求的签名无效，无法证明持有私钥：{detail}',
    en: 'The certificate request signature is invalid, so possession of the private key is not proven: {detail}',
  },
  'request.weak-key': {
    'zh-CN': '公钥不符合要求：{detail}',
    en: 'The public key is not acceptable: {detail}',
  },
  'request.key-type-not-allowed': {
    'zh-CN': '证书模板 {profile} 不接受 {keyAlgorithm} 密钥（可用：{allowed}）',
    en: 'Profile {profile} does not accept {keyAlgorithm} keys (accepted: {allowed})',
  },
  'request.key-already-certified': {
    'zh-CN': '该公钥已为另一订户签发过证书，每个订户必须使用自己的密钥',
    en: 'This public key is already certified to another subscriber; every subscriber must use their own key',
  },
  'request.key-blocked': {
    'zh-CN': '该公钥已被列入禁用名单（{reason}），不能再签发证书',
    en: 'This public key is blocked ({reason}) and can never be certified again',
  },
  'request.identity-missing': {
    'zh-CN': '证书模板 {profile} 要求 GM/T 0015 扩展 {extension}，但订单没有可放入其中的已核验身份（提供的是：{given}）',
    en: 'Profile {profile} requires the GM/T 0015 extension {extension}, but the order carries no verified identity that fits it (given: {given})',
  },
  'request.identity-invalid.resident-id': {
    'zh-CN': '居民身份证号码格式不正确：应为 17 位数字加 1 位校验码（数字或 X）',
    en: 'The resident ID number is malformed: it must be 17 digits and a check character (a digit or X)',
  },
  'request.identity-invalid.uscc': {
    'zh-CN': '统一社会信用代码格式不正确：应为 18 位，且不含 I、O、S、V、Z',
    en: 'The Unified Social Credit Code is malformed: it must be 18 characters, without I, O, S, V or Z',
  },
  'request.identity-invalid.printable': {
    'zh-CN': '证件号码（{type}）只能包含字母、数字和 PrintableString 允许的符号',
    en: 'The document number ({type}) may hold only letters, digits and the symbols PrintableString allows',
  },
  'request.identity-invalid.length': {
    'zh-CN': '证件号码（{type}）为空或超过 64 个字符',
    en: 'The document number ({type}) is empty or longer than 64 characters',
  },
  'request.unknown-profile': {
    'zh-CN': '未知的证书模板：{profile}（可用：{known}）',
    en: 'Unknown certificate profile: {profile} (known: {known})',
  },
  'request.subject-invalid': {
    'zh-CN': '证书主题不符合模板 {profile}：{detail}',
    en: 'The subject does not fit profile {profile}: {detail}',
  },
  'request.subject-unparsable': {
    'zh-CN': '无法解析证书主题（格式如 CN=张三,O=某公司,C=CN）：{detail}',
    en: 'The subject cannot be parsed (expected e.g. CN=Zhang San,O=Example Ltd,C=CN): {detail}',
  },
  'request.profile-not-for-subscribers': {
    'zh-CN': '证书模板 {profile} 只用于建立 CA 层级，不能用于签发订户证书',
    en: 'Profile {profile} only builds the CA hierarchy and cannot issue subscriber certificates',
  },
  'request.lint-failed': {
    'zh-CN': '待签发证书未通过 RFC 5280 与模板检查：{detail}',
    en: 'The certificate to be signed failed the RFC 5280 and profile checks: {detail}',
  },
  'request.body-too-large': {
    'zh-CN': '请求体过大（上限 {limit} 字节）',
    en: 'The request body is too large (limit {limit} bytes)',
  },
  'request.invalid': {
    'zh-CN': '请求无效：{detail}',
    en: 'Invalid request: {detail}',
  },
  'ca.unknown': {
    'zh-CN': '未知的 CA：{caId}',
    en: 'Unknown CA: {caId}',
  },
  'ca.no-issuing-ca': {
    'zh-CN': '尚未建立签发 CA，请先运行 signet init',
    en: 'There is no issuing CA yet; run signet init first',
  },
  'ca.already-initialised': {
    'zh-CN': 'CA 层级已经存在（根 CA {caId}），不会重复创建',
    en: 'The CA hierarchy already exists (root CA {caId}); it is not created again',
  },
  'ca.key-unavailable': {
    'zh-CN': '无法打开 CA 私钥：口令错误或密钥已损坏',
    en: 'The CA private key cannot be opened: wrong passphrase or damaged key',
  },
  'certificate.not-found': {
    'zh-CN': '找不到序列号为 {serial} 的证书',
    en: 'No certificate with serial {serial}',
  },
  'certificate.bad-serial': {
    'zh-CN': '序列号必须是十六进制数字：{serial}',
    en: 'A serial number must be hexadecimal: {serial}',
  },
  'auth.required': {
    'zh-CN': '需要有效的操作员令牌（Authorization: Bearer …）',
    en: 'A valid operator token is required (Authorization: Bearer …)',
  },
  'request.validity-beyond-profile': {
    'zh-CN': '有效期 {asked} 天超过证书模板 {profile} 允许的 {max} 天，未签发',
    en: 'A validity of {asked} days exceeds the {max} days profile {profile} allows; nothing was issued',
  },
  'request.rate-limited': {
    'zh-CN': '请求过于频繁，请在 {seconds} 秒后重试',
    en: 'Too many requests; try again in {seconds} seconds',
  },
  'request.repeated-parameter': {
    'zh-CN': '查询参数 {name} 只能出现一次',
    en: 'The query parameter {name} may appear only once',
  },
  'auth.ca-wide-only': {
    'zh-CN': '此操作只属于 CA 全局角色；注册机构内的角色 {role} 无权执行，未作任何更改',
    en: 'This belongs to CA-wide roles only; the RA-scoped role {role} may not do it; nothing was changed',
  },
  'server.internal': {
    'zh-CN': '服务器内部错误，已记录，请联系 CA 运营方（参考编号 {reference}）',
    en: 'Internal server error, logged; contact the CA operator (reference {reference})',
  },
  'route.not-found': {
    'zh-CN': '没有这个地址：{path}',
    en: 'Nothing here: {path}',
  },
  'cli.initialised': {
    'zh-CN': '已创建 CA 层级：根 CA {root}，签发 CA {issuing}，OCSP 签名证书 {ocsp}，时间戳证书 {tsa}（算法 {algorithm}）',
    en: 'Created the CA hierarchy: root CA {root}, issuing CA {issuing}, OCSP signer {ocsp}, TSA {tsa} (algorithm {algorithm})',
  },
  'cli.crl-only': {
    'zh-CN': '仅 CRL 模式（SIGNET_CRL_ONLY=on）：新签发的证书不写 OCSP 地址，只写 CRL 分发点；吊销后一个调度周期（5 分钟）内发布新 CRL；OCSP 签名证书仅为切换前签发、仍写有 OCSP 地址的证书应答',
    en: 'CRL-only mode (SIGNET_CRL_ONLY=on): new certificates name no OCSP responder, only their CRL distribution point; a revocation is on a new CRL within one scheduler round (5 minutes); the OCSP signer answers only for certificates issued with the OCSP address before the switch',
  },
  'cli.first-start': {
    'zh-CN': '首次启动：已在 {dataDir} 创建开发用 CA 层级（{algorithm}）',
    en: 'First start: created a development CA hierarchy in {dataDir} ({algorithm})',
  },
  'cli.listening': {
    'zh-CN': 'Signet 已启动：{url}（数据库 {database}）',
    en: 'Signet is listening on {url} (database {database})',
  },
  'cli.issued': {
    'zh-CN': '已签发证书 {serial}（{profile}），主题 {subject}，有效期 {notBefore} 至 {notAfter}',
    en: 'Issued certificate {serial} ({profile}), subject {subject}, valid {notBefore} to {notAfter}',
  },
  'cli.file-unreadable': {
    'zh-CN': '无法读取文件 {file}：{detail}',
    en: 'Cannot read file {file}: {detail}',
  },
  'cli.sm2-id-needs-sm2': {
    'zh-CN': '--sm2-id 只适用于 --algorithm sm2（当前为 {algorithm}）',
    en: '--sm2-id applies only to --algorithm sm2 (not {algorithm})',
  },
  'cli.sm2-id-invalid': {
    'zh-CN': 'SM2 用户标识必须为 1 至 8191 字节（GB/T 32918.2 §5.5，GM/T 0009 不允许空标识），当前为 {bytes} 字节',
    en: 'The SM2 distinguishing ID must be 1 to 8191 bytes (GB/T 32918.2 §5.5; GM/T 0009 allows no empty ID), not {bytes}',
  },
  'cli.sm2-id': {
    'zh-CN': 'SM2 用户标识（签名与验证时使用）：{id}',
    en: 'SM2 distinguishing ID (to sign and verify with): {id}',
  },
  'cli.one-identity': {
    'zh-CN': '--resident-id、--passport 与 --uscc 只能给出一个',
    en: 'Give at most one of --resident-id, --passport and --uscc',
  },
  'cli.bad-algorithm': {
    'zh-CN': '不支持的算法 {algorithm}（可用：{known}）',
    en: 'Unsupported algorithm {algorithm} (supported: {known})',
  },
  'cli.audit-ok': {
    'zh-CN': '审计链完整：{entries} 条记录，链头哈希 {head}',
    en: 'Audit chain intact: {entries} entries, head hash {head}',
  },
  'cli.audit-broken': {
    'zh-CN': '审计链在第 {seq} 条记录处断裂：{problem}',
    en: 'Audit chain broken at entry {seq}: {problem}',
  },
  'cli.error': {
    'zh-CN': '错误：{detail}',
    en: 'error: {detail}',
  },
} satisfies Catalogue;

export const MESSAGES = {
  ...CORE_MESSAGES,
  ...EVIDENCE_MESSAGES,
  ...STATUS_MESSAGES,
  ...TSA_MESSAGES,
  ...RA_MESSAGES,
  ...SELF_SERVICE_MESSAGES,
  ...AGREEMENT_MESSAGES,
  ...KMC_MESSAGES,
  ...SERVICE_MESSAGES,
  ...AUDIT_MESSAGES,
  ...CONFIG_MESSAGES,
  ...INVENTORY_MESSAGES,
  ...CA_LIFETIME_MESSAGES,
  ...CLI_MESSAGES,
  ...DEPLOYMENT_MESSAGES,
  ...STORE_MESSAGES,
  ...FIELD_MESSAGES,
  ...EST_MESSAGES,
  ...ACME_MESSAGES,
  ...CMP_MESSAGES,
  ...SCEP_MESSAGES,
  ...HTTP_MESSAGES,
} satisfies Catalogue;

export type MessageCode = keyof typeof MESSAGES;

/**
 * A parameter given in both languages (a reason's name, a kind of CRL) is put in the
 * reader's language, so no internal code reaches a sentence in the other one.
 */
function inLocale(value: unknown, locale: Locale): string {
  if (typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[locale] === 'string') return (value as Record<Locale, string>)[locale];
  return String(value);
}

export function translate(code: MessageCode, locale: Locale, params: Record<string, unknown> = {}): string {
  const template = MESSAGES[code][locale];
  return template.replace(/\{(\w+)\}/g, (_, name: string) => (name in params ? inLocale(params[name], locale) : `{${name}}`));
}

/** A message in both languages, to pass as a parameter of another. */
export function bothLocales(code: MessageCode, params: Record<string, unknown> = {}): Record<Locale, string> {
  return { 'zh-CN': translate(code, 'zh-CN', params), en: translate(code, 'en', params) };
}

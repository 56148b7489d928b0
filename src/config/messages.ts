import type { Catalogue } from '../i18n/messages.js';

export const CONFIG_MESSAGES = {
  'config.production-not-ready': {
    'zh-CN': '生产模式（SIGNET_MODE=production）拒绝启动，缺少：{missing}',
    en: 'Production mode (SIGNET_MODE=production) refuses to start; missing: {missing}',
  },
  'config.problem.missing': { 'zh-CN': '{variable} 未设置（生产模式不会自动生成）', en: '{variable} is not set (production never generates it)' },
  'config.problem.unreadable': { 'zh-CN': '{variable} 无法读取或格式不对', en: '{variable} cannot be read or is malformed' },
  'config.problem.short': { 'zh-CN': '{variable} 少于 16 个字符', en: '{variable} is shorter than 16 characters' },
  'config.problem.example': {
    'zh-CN': '{variable} 未设置或是文档示例用的 OID 弧（RFC 5612 的 1.3.6.1.4.1.32473），生产证书须声明运营者自己注册的策略 OID',
    en: '{variable} is unset or an arc set aside for documentation (RFC 5612: 1.3.6.1.4.1.32473); production certificates assert the operator\'s own registered policy arc',
  },
  'config.problem.shared': { 'zh-CN': '{variable} 与 {other} 是同一个秘密，每项必须各自独立', en: '{variable} is the same secret as {other}; each must be its own' },
  'config.production-no-hierarchy': {
    'zh-CN': '生产模式不会创建开发用 CA 层级：请先执行根密钥仪式 signet init --production --root-key-out <文件>',
    en: 'Production mode builds no development hierarchy: hold the root ceremony first, signet init --production --root-key-out <file>',
  },
  'ca.root-key-offline': {
    'zh-CN': '根 CA {caId} 的私钥已离线保存，运行中的服务无法使用；只有在根密钥仪式中给出 SIGNET_ROOT_KEY_FILE 与 SIGNET_ROOT_PASSPHRASE 才能签名',
    en: 'The key of root CA {caId} is kept offline and a running server cannot use it; only a root key ceremony given SIGNET_ROOT_KEY_FILE and SIGNET_ROOT_PASSPHRASE signs with it',
  },
  'ca.root-key-file-unreadable': { 'zh-CN': '根密钥文件 {file} 无法读取', en: 'The root key file {file} cannot be read' },
  'ca.root-key-file-other': { 'zh-CN': '根密钥文件 {file} 不是根 CA {caId} 的密钥', en: 'The root key file {file} does not hold the key of root CA {caId}' },
  'config.production-root-offline': {
    'zh-CN': '生产模式下根密钥必须离线：请给出 --root-key-out <文件>（或用 --hsm 放入 HSM）',
    en: 'In production mode the root key must go offline: give --root-key-out <file> (or --hsm to keep it in an HSM)',
  },
  'config.key-storage-invalid': {
    'zh-CN': '{variable} 只能是 software 或 pkcs11，而不是 {value}',
    en: '{variable} must be software or pkcs11, not {value}',
  },
  'config.public-url-not-http': {
    'zh-CN':
      'SIGNET_PUBLIC_URL（{value}）必须是 http:// 地址：它作为 CRL、OCSP 和 CA 证书的地址写入每张证书，依赖方按 RFC 5280 与 RFC 6960 用明文 http 获取（状态信息自身有签名，https 反而要先验证状态）。网页仍可经 TLS 反向代理以 https 提供',
    en: 'SIGNET_PUBLIC_URL ({value}) must be an http:// address: it goes into every certificate as the address of the CRL, the OCSP responder and the CA certificate, which relying parties fetch over plain http (RFC 5280, RFC 6960; status answers are signed themselves, and https would need the status it points to). The web pages can still be served over https by a TLS proxy',
  },
  'config.public-url-invalid': {
    'zh-CN': 'SIGNET_PUBLIC_URL（{value}）不是可写入证书的地址：须形如 http://ca.example.cn 或 http://ca.example.cn/signet，不含空格、查询参数、片段或用户名',
    en: 'SIGNET_PUBLIC_URL ({value}) is not an address a certificate can carry: it must look like http://ca.example.cn or http://ca.example.cn/signet, without spaces, query, fragment or user name',
  },
  'config.on-off-invalid': { 'zh-CN': '{variable} 只能是 on 或 off，而不是 {value}', en: '{variable} must be on or off, not {value}' },
  'config.key-storage-no-hsm': {
    'zh-CN': '{variable}=pkcs11 要求配置 HSM：请设置 SIGNET_PKCS11_MODULE、SIGNET_PKCS11_TOKEN 与 SIGNET_PKCS11_PIN（或 _PIN_FILE）',
    en: '{variable}=pkcs11 needs an HSM: set SIGNET_PKCS11_MODULE, SIGNET_PKCS11_TOKEN and SIGNET_PKCS11_PIN (or _PIN_FILE)',
  },
  'ca.hsm-algorithm-unsupported': {
    'zh-CN':
      '{algorithm} 密钥无法放入 PKCS#11 HSM，也不会改为软件保存：PKCS#11 标准没有 SM2 机制（国密密码机通过 GM/T 0018 SDF 接口或各厂商自定义机制提供 SM2，Signet 尚不支持）。HSM 可用的算法：{supported}；SM2 层级请不加 --hsm，用 --root-key-out 将根密钥离线保存（docs/operations.md）',
    en: '{algorithm} keys cannot be kept in a PKCS#11 HSM, and are not made in software instead: PKCS#11 defines no SM2 mechanism (Chinese cryptographic modules offer SM2 through the GM/T 0018 SDF interface or vendor-defined mechanisms, which Signet does not support yet). Algorithms an HSM can hold: {supported}; for an SM2 hierarchy leave out --hsm and send the root key offline with --root-key-out (docs/operations.md)',
  },
  // Start-up refusals of a malformed environment variable (src/config/config-error.ts): {value} arrives quoted and cut.
  'config.whole-number-range': {
    'zh-CN': '{variable} 须为 {min} 到 {max} 之间的整数，而不是 {value}',
    en: '{variable} must be a whole number from {min} to {max}, not {value}',
  },
  'config.whole-number-min': { 'zh-CN': '{variable} 须为不小于 {min} 的整数，而不是 {value}', en: '{variable} must be a whole number, at least {min}, not {value}' },
  'config.number-range': { 'zh-CN': '{variable} 须为 {min} 到 {max} 之间的数，而不是 {value}', en: '{variable} must be a number from {min} to {max}, not {value}' },
  'config.fraction-invalid': { 'zh-CN': '{variable} 须为大于 0、小于 1 的小数，而不是 {value}', en: '{variable} must be a fraction between 0 and 1, not {value}' },
  'config.true-false': {
    'zh-CN': '{variable} 只能是 true 或 false（也可写 yes/no、on/off、1/0），而不是 {value}',
    en: '{variable} must be true or false (or yes/no, on/off, 1/0), not {value}',
  },
  'config.mode-invalid': { 'zh-CN': '{variable} 只能是 development 或 production，而不是 {value}', en: '{variable} must be development or production, not {value}' },
  'config.file-missing': { 'zh-CN': '{variable} 指向的文件 {file} 不存在', en: '{variable} points at {file}, which does not exist' },
  'config.pkcs11-pin-missing': {
    'zh-CN': '设置了 SIGNET_PKCS11_MODULE 时，须同时给出 {variable} 或 SIGNET_PKCS11_PIN_FILE（HSM 令牌的 PIN）',
    en: 'With SIGNET_PKCS11_MODULE set, {variable} or SIGNET_PKCS11_PIN_FILE (the HSM token\'s PIN) must be given too',
  },
  'config.policy-oid.not-dotted': {
    'zh-CN': '{variable} 的值 {value} 不是点分十进制的对象标识符（例如 1.3.6.1.4.1.<您的企业号>.1）',
    en: '{variable}: {value} is not a dotted-decimal object identifier (e.g. 1.3.6.1.4.1.<your PEN>.1)',
  },
  'config.policy-oid.leading-zero': { 'zh-CN': '{variable} 的值 {value} 中有以 0 开头的弧（不允许前导零）', en: '{variable}: {value} has an arc with a leading zero' },
  'config.policy-oid.first-arc': { 'zh-CN': '{variable} 的值 {value} 有误：第一段只能是 0、1 或 2（X.660）', en: '{variable}: in {value} the first arc must be 0, 1 or 2 (X.660)' },
  'config.policy-oid.second-arc': {
    'zh-CN': '{variable} 的值 {value} 有误：第一段为 {first} 时，第二段最大为 39（X.690 §8.19.4）',
    en: '{variable}: in {value}, under {first} the second arc is at most 39 (X.690 §8.19.4)',
  },
  'config.policy-oid.arc-too-large': {
    'zh-CN': '{variable} 的值 {value} 中的弧 {arc} 超过 2^31-1，Go 的 crypto/x509、gmsm 与 python-cryptography 38 都无法解析；请使用数字较小的已注册弧',
    en: '{variable}: in {value} the arc {arc} exceeds 2^31-1, which Go\'s crypto/x509, gmsm and python-cryptography 38 cannot parse; use a registered arc with small numbers',
  },
  'config.contact.control-character': { 'zh-CN': '{variable} 含有控制字符或换行：{value}', en: '{variable} contains a control character or line break: {value}' },
  'config.contact.too-long': { 'zh-CN': '{variable} 超过 {limit} 个字符：{value}', en: '{variable} is longer than {limit} characters: {value}' },
  'config.contact.phone-invalid': {
    'zh-CN': '{variable} 须为电话号码（数字、空格、+、-、括号，例如 400-000-0000 或 +86 10 1234 5678），而不是 {value}',
    en: '{variable} must be a telephone number (digits, spaces, +, -, parentheses; e.g. 400-000-0000 or +86 10 1234 5678), not {value}',
  },
  'config.bytes-range': {
    'zh-CN': '{variable} 须为 {min}（{minSize}）到 {max}（{maxSize}）之间的字节数（整数），而不是 {value}',
    en: '{variable} must be a whole number of bytes from {min} ({minSize}) to {max} ({maxSize}), not {value}',
  },
  'config.log-level-invalid': { 'zh-CN': '{variable} 只能是以下日志级别之一：{levels}，而不是 {value}', en: '{variable} must be one of the log levels {levels}, not {value}' },
  'config.secret-missing': {
    'zh-CN': '生产模式（SIGNET_MODE=production）须设置 {variable} 或 {fileVariable}：生产模式不会自动生成秘密',
    en: 'Production mode (SIGNET_MODE=production) needs {variable} or {fileVariable} to be set; it never generates a secret',
  },
  'config.contact.email-invalid': { 'zh-CN': '{variable} 须为电子邮件地址，而不是 {value}', en: '{variable} must be an e-mail address, not {value}' },
} satisfies Catalogue;

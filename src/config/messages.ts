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
} satisfies Catalogue;

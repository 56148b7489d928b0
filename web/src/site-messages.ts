/**
 * Texts of the public fee page, the CA's contact details, the printable
 * credential slip, and the counted forms ("1 certificate") of shared keys.
 * Spread into the catalogues of src/messages.ts; the English one must have
 * exactly the Chinese one's keys.
 */
export const SITE_ZH = {
  'public-fees.title': '收费标准',
  'public-fees.lead': '各注册机构现行的证书收费标准，按产品和有效期列出，金额为人民币元。',
  'public-fees.product': '产品',
  'public-fees.none': '目前没有注册机构公布收费标准。',
  'public-fees.note': '金额以分为单位记账、以元显示；收费标准调整时，新的金额自其生效日期（北京时间当天零点）起适用，此前已缴纳的费用不受影响。',

  'contact.title': '联系我们',
  'contact.lead': '对证书申请、下载、吊销或本 CA 的服务有疑问，可通过以下方式联系本 CA。',
  'contact.name': '联系部门',
  'contact.phone': '服务电话',
  'contact.email': '电子邮件',
  'contact.address': '地址',
  'contact.hours': '服务时间',
  'contact.none': '本 CA 尚未公布联系方式，请向为您办理业务的注册机构咨询。',
  'contact.where': '常见事项',
  'contact.complaints': '投诉（登录订户服务后提交）',
  'contact.revocation': '申请吊销证书',

  'slip.print': '打印凭证单',
  'slip.title': '证书下载凭证单',
  'slip.for': '订户：',
  'slip.url': '下载地址',
  'slip.how': '如何下载证书',
  'slip.step1': '在自己的电脑上用浏览器打开上面的下载地址（参考号已自动填入）。',
  'slip.step2': '输入授权码（不区分大小写，空格和短横线可省略），选择密钥算法和保存方式。',
  'slip.step3': '密钥在您的浏览器中生成，私钥不会离开您的设备；请在有效期截止前完成下载。',
  'slip.keep': '授权码相当于密码：请妥善保管，不要交给他人，也不要拍照发送。连续输错 5 次凭证将被锁定，需到注册机构重新申领。',
  'slip.printed': '打印时间：{at}',

  'waited.under-hour': '不到 1 小时',
  'waited.hours': '{n} 小时',
  'waited.hours.one': '1 小时',
  'common.days.one': '1 天',
  'inventory.count.one': '共 1 张证书',
  'inventory.within-days.one': '1 天内',

  'actor.operator': '操作员',
  'actor.subscriber': '订户本人',
  'actor.self-registration': '订户本人（网上注册）',
  'actor.admin-token': 'CA 管理员（部署令牌）',
  'actor.recorded-by': '记录人：',
  'fees.product.code-signing': '代码签名证书',
} as const;

export const SITE_EN: Record<keyof typeof SITE_ZH, string> = {
  'public-fees.title': 'Fees',
  'public-fees.lead': 'The certificate fees in force at each registration authority, per product and validity, in yuan (CNY).',
  'public-fees.product': 'Product',
  'public-fees.none': 'No registration authority has published fees yet.',
  'public-fees.note': 'Amounts are kept in fen and shown in yuan. When a fee changes, the new amount applies from its effective date (midnight Beijing time); what was paid before is not affected.',

  'contact.title': 'Contact',
  'contact.lead': 'For questions about applying for, downloading or revoking a certificate, or about this CA’s service, contact the CA here.',
  'contact.name': 'Department',
  'contact.phone': 'Telephone',
  'contact.email': 'E-mail',
  'contact.address': 'Address',
  'contact.hours': 'Opening hours',
  'contact.none': 'This CA has not published contact details; ask the registration authority that handled your application.',
  'contact.where': 'Common requests',
  'contact.complaints': 'Complaints (after signing in to subscriber services)',
  'contact.revocation': 'Asking for a certificate to be revoked',

  'slip.print': 'Print slip',
  'slip.title': 'Certificate download slip',
  'slip.for': 'Subscriber: ',
  'slip.url': 'Download at',
  'slip.how': 'How to download the certificate',
  'slip.step1': 'Open the download address above in a browser on your own computer (the reference number is filled in).',
  'slip.step2': 'Type the authorization code (not case-sensitive; spaces and hyphens may be left out), then choose the key algorithm and where to keep the key.',
  'slip.step3': 'The key is made in your browser and the private key never leaves your device. Download before the slip expires.',
  'slip.keep': 'The authorization code is like a password: keep it safe, give it to no one and do not send a photo of it. After 5 wrong codes the credential locks and the registration authority must issue a new one.',
  'slip.printed': 'Printed {at}',

  'waited.under-hour': 'under an hour',
  'waited.hours': '{n} hours',
  'waited.hours.one': '1 hour',
  'common.days.one': '1 day',
  'inventory.count.one': '1 certificate',
  'inventory.within-days.one': 'within 1 day',

  'actor.operator': 'Operator',
  'actor.subscriber': 'The subscriber',
  'actor.self-registration': 'The subscriber (online registration)',
  'actor.admin-token': 'CA administrator (deployment token)',
  'actor.recorded-by': 'Recorded by ',
  'fees.product.code-signing': 'Code signing certificate',
};

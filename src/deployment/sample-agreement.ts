/**
 * The sample subscriber agreement a development deployment publishes on first
 * start, so that the portal can be used at once. Our own wording, following
 * the clauses this service implements (docs/requirements.md, R0–R19); it is a
 * demonstration, not legal text, and says so.
 */
export const SAMPLE_AGREEMENT_VERSION = 'sample-1';

export const SAMPLE_AGREEMENT_TITLE = {
  'zh-CN': '数字证书订户协议（示例）',
  en: 'Digital Certificate Subscriber Agreement (sample)',
} as const;

export const SAMPLE_AGREEMENT_TEXT = {
  'zh-CN': `数字证书订户协议（示例文本）

本文本仅供 Signet 开发与演示部署使用，不构成任何认证机构的正式协议。正式运营前，请由认证机构发布经法律审核的协议文本。

订户在申请数字证书前应仔细阅读本协议。订户勾选同意、下载证书或首次使用证书，即表示接受本协议当时有效的版本。

一、订户的义务
1. 真实信息。订户向注册机构（RA）申请证书时，应提供真实、完整、准确的身份信息及证明材料。认证机构在订户最后一张证书失效或吊销后，至少保存上述信息五年。
2. 信息变更。订户信息发生变化时，应及时通知原注册机构。变更影响证书内容的，原证书将被吊销并重新签发。
3. 审核与下载。通过注册机构审核后，订户获得下载凭证（参考号与授权码）。下载凭证只能使用一次，有使用期限，订户应妥善保管。订户的密钥在订户一侧生成，私钥不离开订户的设备。订户可书面授权代理人代为下载。
4. 合法使用。订户应在法律允许的范围内、按证书用途使用证书。
5. 私钥保护。订户应妥善保管私钥及其口令。私钥泄露、丢失，或订户不再需要证书时，订户（或订户主体不存在时其权利继受人）应立即向原注册机构或认证机构申请吊销证书。
6. 过错责任。因订户提供虚假信息、未妥善保管私钥或未及时申请吊销造成的损失，由订户承担。订户报告密钥泄露的时间和内容均有防篡改记录可查。
7. 服务费用。订户应按注册机构公布的收费标准按期缴纳证书服务费用。
8. 争议。订户发现认证服务导致其交易信息泄露或被篡改的，应自发现之日起三个月内提出。

二、认证机构的义务
1. 公布。认证机构公布电子认证业务规则（CPS）、本协议的各个版本及相关公告，证书中载明证书策略和 CPS 的地址。
2. 服务与投诉。认证机构受理订户的咨询和投诉，并在七个工作日内答复。
3. 安全工具与证据。认证机构提供签名、加密和时间戳服务；发生争议时，提供证书链、当时有效的证书废止列表以及签名和时间戳的技术鉴定。
4. 吊销。订户提供虚假信息、违反本协议、书面申请吊销、证书安全性不能得到保证、证书被用于违法犯罪活动或有其他法定事由的，认证机构可吊销证书。吊销立即生效，不可撤回。
5. 查询。认证机构提供证书签发、更新、吊销和状态查询服务；公开查询不披露证书以外的个人信息。
6. 赔偿上限。因认证机构的过错造成订户损失的，认证机构依法赔偿。每张企业证书赔偿上限为人民币伍拾万元整（￥500,000.00），每张个人证书赔偿上限为人民币贰万元整（￥20,000.00）。

三、其他
1. 注册机构合并或撤销的，由认证机构指定的承继机构履行原注册机构的职责。
2. 认证机构修订本协议时，将公布新版本并通知订户。新版本公布一个月后订户继续使用证书的，视为接受；订户在此期间书面提出不接受的，其证书将被吊销。
3. 因认证服务发生的争议，双方应先协商解决；协商不成的，提交仲裁。
4. 本协议自订户同意、下载或首次使用证书时生效。
`,
  en: `Digital Certificate Subscriber Agreement (sample text)

This text is for Signet development and demonstration deployments only. It is not the agreement of any certification authority. Before going into service, a certification authority publishes its own, legally reviewed text.

Read this agreement before applying for a certificate. By ticking the consent box, downloading the certificate or first using it, the subscriber accepts the version of this agreement then in force.

I. The subscriber's obligations
1. True information. When applying to a registration authority (RA), the subscriber gives true, complete and accurate identity information and supporting documents. The certification authority keeps them for at least five years after the subscriber's last certificate expired or was revoked.
2. Changes. The subscriber tells the original RA promptly when their information changes. Where the change affects a certificate's content, that certificate is revoked and a new one is issued.
3. Review and download. Once the RA has approved the application, the subscriber receives a download credential (a reference number and an authorization code). It can be used once and expires; the subscriber keeps it safe. The subscriber's key is made on the subscriber's side, and the private key never leaves their device. The subscriber may authorise an agent in writing to download on their behalf.
4. Lawful use. The subscriber uses the certificate lawfully and for its stated purpose.
5. Key protection. The subscriber protects the private key and its password. If the key is compromised or lost, or the certificate is no longer wanted, the subscriber (or, if the subscriber no longer exists, their legal successor) asks the original RA or the certification authority at once to revoke it.
6. Fault. Losses caused by false information, a badly protected key or a late revocation request are the subscriber's. When the subscriber reported a compromise, and what they declared, is kept in a tamper-evident record.
7. Fees. The subscriber pays the certificate service fees on time, as published by the RA.
8. Disputes. A subscriber who finds that the certification service caused their transaction information to leak or be altered raises it within three months of finding out.

II. The certification authority's obligations
1. Publication. The certification authority publishes its certification practice statement (CPS), every version of this agreement and its notices. Certificates carry the certificate policy and the address of the CPS.
2. Support and complaints. The certification authority answers questions and complaints within seven working days.
3. Tools and evidence. The certification authority provides signing, encryption and time-stamping. In a dispute, it provides the certificate chain, the certificate revocation list in force at the time, and a technical confirmation of the signature and the time-stamp.
4. Revocation. The certification authority may revoke a certificate for false information, a breach of this agreement, the subscriber's written request, a certificate whose security can no longer be ensured, use in crime, or other legal grounds. A revocation takes effect at once and is never undone.
5. Queries. The certification authority issues, renews and revokes certificates and answers status queries; public queries show no personal information beyond the certificate itself.
6. Liability cap. Where the certification authority's fault causes a subscriber a loss, it compensates as the law requires, up to CNY 500,000.00 per enterprise certificate and CNY 20,000.00 per individual certificate.

III. Other terms
1. If an RA merges or withdraws, the successor the certification authority names takes over the original RA's role.
2. When the certification authority revises this agreement, it publishes the new version and notifies subscribers. Continued use one month after publication is deemed acceptance; a subscriber who objects in writing within that month has their certificate revoked.
3. Disputes about the certification service are first negotiated; failing agreement, they go to arbitration.
4. This agreement takes effect when the subscriber consents, downloads the certificate or first uses it.
`,
} as const;

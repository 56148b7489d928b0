import type { Catalogue } from '../i18n/messages.js';

/** Texts of the signing and encryption toolkit (R13) and the evidence it produces (R14). */
export const EVIDENCE_MESSAGES = {
  'cms.no-recipients': {
    'zh-CN': '至少需要一个接收者证书',
    en: 'At least one recipient certificate is needed',
  },
  'cms.recipient-key-unsupported': {
    'zh-CN': '接收者证书的密钥不能用于加密：{detail}',
    en: 'The recipient certificate key cannot be used for encryption: {detail}',
  },
  'cms.malformed': {
    'zh-CN': '不是有效的 CMS 结构：{detail}',
    en: 'Not a valid CMS structure: {detail}',
  },
  'cms.not-enveloped': {
    'zh-CN': '这不是加密信封（内容类型 {contentType}）',
    en: 'This is not an encrypted envelope (content type {contentType})',
  },
  'cms.not-signed': {
    'zh-CN': '这不是签名数据（内容类型 {contentType}）',
    en: 'This is not signed data (content type {contentType})',
  },
  'cms.not-a-recipient': {
    'zh-CN': '该证书不是此加密信封的接收者',
    en: 'This certificate is not a recipient of the envelope',
  },
  'cms.decryption-failed': {
    'zh-CN': '解密失败：信封已被改动，或私钥不匹配',
    en: 'Decryption failed: the envelope was altered or the private key does not match',
  },
  'cms.cipher-unsupported': {
    'zh-CN': '不支持的内容加密算法 {algorithm}（支持 AES-256-CBC、AES-256-GCM、SM4-CBC）',
    en: 'Content encryption algorithm {algorithm} is not supported (AES-256-CBC, AES-256-GCM and SM4-CBC are)',
  },
  'cms.key-transport-unsupported': {
    'zh-CN': '不支持的密钥传输算法 {algorithm}（请使用 RSA-OAEP 或 SM2 加密）',
    en: 'Key transport algorithm {algorithm} is not supported (use RSA-OAEP or SM2 encryption)',
  },
  'cms.sm2-needs-sm4': {
    'zh-CN': 'SM2 接收者按 GM/T 0010 使用 SM4 加密内容，不能使用 {cipher}：请用 --cipher sm4-cbc（或不指定）',
    en: 'SM2 recipients take SM4 content encryption (GM/T 0010), not {cipher}: use --cipher sm4-cbc (or leave it out)',
  },
  'cms.gm-form-needs-sm2': {
    'zh-CN': 'GM/T 0010 格式的信封只能发给 SM2 加密证书；接收者中有其他算法的证书时请用 --form rfc5652',
    en: 'A GM/T 0010 envelope is for SM2 encryption certificates only; with recipients of other algorithms use --form rfc5652',
  },
  'cms.recipient-not-for-encryption': {
    'zh-CN': '该 SM2 证书的密钥用法不含密钥加密（keyEncipherment）：请使用加密证书，而不是签名证书',
    en: 'This SM2 certificate does not allow keyEncipherment: use the encryption certificate, not the signing one',
  },
  'cms.key-agreement-unsupported': {
    'zh-CN': '不支持的密钥协商算法 {algorithm}',
    en: 'Key agreement algorithm {algorithm} is not supported',
  },
  'cms.bad-private-key': {
    'zh-CN': '无法读取私钥：{detail}',
    en: 'The private key cannot be read: {detail}',
  },
  'cms.bad-certificate': {
    'zh-CN': '无法读取证书：{detail}',
    en: 'The certificate cannot be read: {detail}',
  },
  'cms.key-certificate-mismatch': {
    'zh-CN': '私钥与证书中的公钥不匹配',
    en: 'The private key does not match the public key in the certificate',
  },
  'cms.detached-content-missing': {
    'zh-CN': '这是分离式签名，需要同时提供原文',
    en: 'This is a detached signature: the signed content must be supplied too',
  },
  'cms.verify.ok': {
    'zh-CN': '签名有效：由 {signer} 签署{time}',
    en: 'The signature is valid: signed by {signer}{time}',
  },
  'cms.verify.failed': {
    'zh-CN': '签名无效：{problems}',
    en: 'The signature is not valid: {problems}',
  },
  'cli.cms-signed': {
    'zh-CN': '已签名：{out}（{mode}，签名者 {signer}{stamp}）',
    en: 'Signed: {out} ({mode}, signer {signer}{stamp})',
  },
  'cli.cms-stamped': {
    'zh-CN': '，时间戳 {time}',
    en: ', time-stamped {time}',
  },
  'cli.cms-verified': {
    'zh-CN': '签名有效。签名者：{signer}；声称的签名时间：{signingTime}；时间戳：{stamp}；CAdES 级别：{level}',
    en: 'Signature valid. Signer: {signer}; claimed signing time: {signingTime}; time-stamp: {stamp}; CAdES level: {level}',
  },
  'cli.cms-cades-none': {
    'zh-CN': '无（符合 RFC 5652 的普通签名，缺少：{missing}）',
    en: 'none (a plain RFC 5652 signature; lacks {missing})',
  },
  'cli.cms-not-verified': {
    'zh-CN': '签名无效：\n{problems}',
    en: 'Signature NOT valid:\n{problems}',
  },
  'cli.cms-no-stamp': {
    'zh-CN': '无',
    en: 'none',
  },
  'cli.cms-encrypted': {
    'zh-CN': '已加密：{out}（{cipher}，{count} 个接收者）',
    en: 'Encrypted: {out} ({cipher}, {count} recipient(s))',
  },
  'cli.cms-decrypted': {
    'zh-CN': '已解密：{out}（{cipher}，{keyManagement}，{form}，{bytes} 字节）',
    en: 'Decrypted: {out} ({cipher}, {keyManagement}, {form}, {bytes} bytes)',
  },
  'evidence.need-certificate-or-signature': {
    'zh-CN': '请提供证书序列号和交易时间，或提供签名文件',
    en: 'Give a certificate serial and a transaction time, or a signed document',
  },
  'evidence.not-our-certificate': {
    'zh-CN': '签名者证书（序列号 {serial}）不是本 CA 签发的',
    en: 'The signer certificate (serial {serial}) was not issued by this CA',
  },
  'evidence.bad-time': {
    'zh-CN': '交易时间不是有效的 ISO-8601 时间：{value}',
    en: 'The transaction time is not a valid ISO-8601 time: {value}',
  },
  'evidence.malformed-package': {
    'zh-CN': '不是 Signet 证据包：{detail}',
    en: 'Not a Signet evidence package: {detail}',
  },
  'evidence.package-trailing-bytes': {
    'zh-CN': '文件在证据包结束之后还有 {count} 个多余的字节：本 CA 出具的证据包到签名数据结束为止，这些字节是后来附加的',
    en: 'The file has {count} bytes after the package ends: a package this CA produced ends with its signed data, so they were appended later',
  },
  'evidence.package-not-canonical': {
    'zh-CN': '证据包的编码不是唯一的规范 DER 形式（多了一个字段，或某个值换了写法），不是本 CA 出具时的原样：{detail}',
    en: 'The package is not in its one canonical DER encoding (a field was added or a value written another way), so it is not as this CA produced it: {detail}',
  },
  'evidence.time.time-stamp': {
    'zh-CN': '交易时间取自签名上的时间戳（{time}，可信时间）',
    en: 'The transaction time is the time-stamp on the signature ({time}, trusted time)',
  },
  'evidence.time.signing-time': {
    'zh-CN': '交易时间取自签名者声称的签名时间（{time}），签名上没有有效的时间戳',
    en: 'The transaction time is the signing time the signer claimed ({time}); the signature has no valid time-stamp',
  },
  'evidence.time.stated': {
    'zh-CN': '交易时间由申请人给出：{time}',
    en: 'The transaction time was stated by the requester: {time}',
  },
  'evidence.check.chain-ok': {
    'zh-CN': '证书链完整：{path}，在 {time} 时每张证书都在有效期内，签名均验证通过',
    en: 'The certificate chain is complete: {path}; every certificate was within its validity at {time} and every signature verifies',
  },
  'evidence.check.chain-bad': {
    'zh-CN': '证书链验证未通过：{problems}',
    en: 'The certificate chain does not verify: {problems}',
  },
  'evidence.check.crl-not-listed': {
    'zh-CN': '在 {time} 有效的是第 {number} 号 CRL（发布于 {thisUpdate}，下次更新 {nextUpdate}），由签发 CA 签名{signature}；该证书不在其中',
    en: 'The CRL in force at {time} was number {number} (issued {thisUpdate}, next update {nextUpdate}), signed by the issuing CA{signature}; the certificate is not on it',
  },
  'evidence.check.crl-listed': {
    'zh-CN': '在 {time} 有效的是第 {number} 号 CRL（发布于 {thisUpdate}），由签发 CA 签名{signature}；该证书在其中，吊销时间 {revokedAt}，原因：{reason}',
    en: 'The CRL in force at {time} was number {number} (issued {thisUpdate}), signed by the issuing CA{signature}; the certificate is on it, revoked {revokedAt}, reason: {reason}',
  },
  'evidence.check.crl-beside': {
    'zh-CN': '。该 CRL 共 {size} MB，未嵌入证据包，作为文件 {file} 随证据包一并提交（SHA-256 {sha256}），CA 的 CRL 档案也在 {location} 提供同一文件',
    en: '. The CRL ({size} MB) is not embedded: it travels beside the package as the file {file} (SHA-256 {sha256}), and the CA’s CRL archive serves the same bytes at {location}',
  },
  'evidence.check.crl-scope': {
    'zh-CN': '。该 CRL 是分区 CRL，其发布点 {scope} 正是证书中 CRL 分发点所列的地址（RFC 5280 §5.2.5），覆盖该证书',
    en: '. It is a partition CRL whose distribution point {scope} is the one the certificate names in its CRL distribution points (RFC 5280 §5.2.5), so it covers the certificate',
  },
  'evidence.check.crl-scope-bad': {
    'zh-CN': '。但该 CRL 是分区 CRL，其发布点 {scope} 不是证书所列的 CRL 分发点，不能证明该证书的状态',
    en: '. But it is a partition CRL whose distribution point {scope} is not one the certificate names, so it proves nothing about the certificate',
  },
  'evidence.check.crl-none': {
    'zh-CN': '在 {time} 之前签发 CA 尚未发布过 CRL',
    en: 'The issuing CA had published no CRL before {time}',
  },
  'evidence.check.crl-signature-ok': {
    'zh-CN': '（签名验证通过）',
    en: ' (signature verified)',
  },
  'evidence.check.crl-signature-bad': {
    'zh-CN': '（签名验证未通过！）',
    en: ' (signature does NOT verify!)',
  },
  'evidence.check.record-none': {
    'zh-CN': 'CA 记录中该证书从未被吊销',
    en: 'The CA’s records show the certificate was never revoked',
  },
  'evidence.check.record': {
    'zh-CN': 'CA 记录：该证书于 {revokedAt} 被吊销（原因：{reason}；渠道：{channel}）',
    en: 'CA records: the certificate was revoked at {revokedAt} (reason: {reason}; {channel})',
  },
  'evidence.check.signature-ok': {
    'zh-CN': '文件签名有效：内容自签名后未被改动，签名由该证书对应的私钥作出',
    en: 'The document signature is valid: the content is unchanged since signing and was signed with this certificate’s key',
  },
  'evidence.check.signature-bad': {
    'zh-CN': '文件签名无效：{problems}',
    en: 'The document signature is not valid: {problems}',
  },
  'evidence.check.time-stamp-ok': {
    'zh-CN': '时间戳有效：{tsa} 证明该签名在 {time} 已经存在（序列号 {serial}）',
    en: 'The time-stamp is valid: {tsa} proves the signature existed at {time} (serial {serial})',
  },
  'evidence.check.time-stamp-bad': {
    'zh-CN': '时间戳无效：{problems}',
    en: 'The time-stamp is not valid: {problems}',
  },
  'evidence.conclusion.not-revoked': {
    'zh-CN': '结论：在 {time}，该证书未被吊销',
    en: 'Conclusion: at {time} the certificate was not revoked',
  },
  'evidence.conclusion.revoked': {
    'zh-CN': '结论：在 {time}，该证书已被吊销（{revokedAt} 起）',
    en: 'Conclusion: at {time} the certificate was revoked (since {revokedAt})',
  },
  'evidence.conclusion.not-valid': {
    'zh-CN': '结论：在 {time}，该证书不在有效期内或证书链不成立',
    en: 'Conclusion: at {time} the certificate was outside its validity or its chain does not hold',
  },
  'cli.evidence-written': {
    'zh-CN': '证据包已生成：{out}（{conclusion}）',
    en: 'Evidence package written: {out} ({conclusion})',
  },
  'cli.evidence-crl-beside': {
    'zh-CN': '在用 CRL 过大未嵌入，已另存为 {crl}：请与 {out} 一并提交',
    en: 'The CRL in force is too large to embed and was written to {crl}: hand it over together with {out}',
  },
  'cli.evidence-verified': {
    'zh-CN': '证据包验证通过：由 {signer} 于 {time} 签署，根 CA 指纹 SHA-256 {fingerprint}\n{conclusion}',
    en: 'Evidence package verified: signed by {signer} at {time}, root CA SHA-256 fingerprint {fingerprint}\n{conclusion}',
  },
  'cli.evidence-not-verified': {
    'zh-CN': '证据包验证失败：\n{problems}',
    en: 'Evidence package verification FAILED:\n{problems}',
  },
  // The verifier's own checks of a package (R14): what it found, never what the package claims.
  'evidence.verify.readable-ok': {
    'zh-CN': '文件是本 CA 格式的证据包，编码规范',
    en: 'The file is an evidence package in this CA’s format, in canonical encoding',
  },
  'evidence.verify.readable-bad': {
    'zh-CN': '文件不是可读的证据包：可能被截断、被改动，或不是本 CA 出具的证据包',
    en: 'The file is not a readable evidence package: it may be cut short, altered, or not one this CA produced',
  },
  'evidence.verify.signature-ok': {
    'zh-CN': '证据包的签名有效：由 {signer} 签署，签署后内容未被改动，签署者的证书可链接到本 CA 的根证书',
    en: 'The package’s signature is valid: signed by {signer}, unchanged since signing, and the signer’s certificate chains to this CA’s root',
  },
  'evidence.verify.signature-changed': {
    'zh-CN': '证据包在签署后被改动过：内容与签名不再相符',
    en: 'The package was altered after it was signed: its content no longer matches its signature',
  },
  'evidence.verify.signature-no-signer': {
    'zh-CN': '证据包中找不到签署者的证书，无法核验签名',
    en: 'The package does not carry its signer’s certificate, so its signature cannot be checked',
  },
  'evidence.verify.signature-bad': {
    'zh-CN': '证据包的签名未通过核验：签署者的证书不能链接到本 CA 的根证书，或签名的格式不符合本 CA 的做法',
    en: 'The package’s signature does not verify: the signer’s certificate does not chain to this CA’s root, or the signature is not made the way this CA makes it',
  },
  'evidence.verify.time-stamp-ok': {
    'zh-CN': '证据包带有有效的时间戳：{time} 时它已经存在',
    en: 'The package carries a valid time-stamp: it existed at {time}',
  },
  'evidence.verify.time-stamp-bad': {
    'zh-CN': '证据包没有有效的时间戳，不能证明它的签署时间',
    en: 'The package has no valid time-stamp, so the time it was signed is not proven',
  },
  'evidence.verify.nothing-added-ok': {
    'zh-CN': '证据包中没有签名范围之外的附加内容',
    en: 'The package holds nothing outside what its signature covers',
  },
  'evidence.verify.nothing-added-bad': {
    'zh-CN': '证据包中有签名未覆盖的附加内容（证书或属性），可能是事后添加的',
    en: 'The package holds something its signature does not cover (a certificate or an attribute), which may have been added later',
  },
  'evidence.verify.repeated-certificate': {
    'zh-CN': '证据包中同一张证书出现了不止一次：本 CA 出具的证据包从不重复证书，证书集合又不在签名覆盖范围内，所以证据包的字节在签署后被改动过',
    en: 'The package carries the same certificate more than once: this CA never repeats one, and the certificate set is outside what the signature covers, so the package’s bytes were changed after signing',
  },
  'evidence.verify.revocation-added': {
    'zh-CN': '证据包在签名覆盖范围之外携带了证书废止列表或 OCSP 响应（或重复携带）：本 CA 把废止列表作为签名内的原始文件保存，这是事后添加的',
    en: 'The package carries a revocation list or OCSP response outside what its signature covers (or the same one twice): this CA keeps the revocation list as a signed original file, so it was added later',
  },
  'evidence.verify.repeated-time-stamp': {
    'zh-CN': '证据包的签名带有不止一个时间戳：本 CA 只加一个，多出的时间戳没有经过核验',
    en: 'The package’s signature carries more than one time-stamp: this CA adds exactly one, and the others were not checked',
  },
  'evidence.verify.empty-set': {
    'zh-CN': '证据包中有一个空的证书、废止列表或属性集合：本 CA 在没有内容时省略该字段，空集合是同一内容的另一种写法',
    en: 'The package holds an empty set of certificates, revocation lists or attributes: this CA leaves such a field out when it has nothing to hold, so an empty set is the same content written another way',
  },
  'evidence.verify.artefacts-ok': {
    'zh-CN': '随附的 {count} 份原始文件都与清单记录的 SHA-256 摘要一致',
    en: 'All {count} enclosed original files match the SHA-256 digests in the manifest',
  },
  'evidence.verify.artefacts-bad': {
    'zh-CN': '随附的原始文件 {files} 缺失或与清单记录的摘要不一致',
    en: 'The enclosed original files {files} are missing or do not match the digests in the manifest',
  },
  'evidence.verify.crl-beside-missing': {
    'zh-CN': '证书废止列表 {file} 随证据包另行提交，但没有提供（可从 {location} 获取）',
    en: 'The revocation list {file} travels beside the package and was not given (it is served at {location})',
  },
  'evidence.verify.findings-ok': {
    'zh-CN': '报告中的核查结果可由随附的原始文件重新得出',
    en: 'The findings in the report follow from the enclosed original files',
  },
  'evidence.verify.findings-bad': {
    'zh-CN': '报告中关于{which}的核查结果与随附的原始文件不符',
    en: 'The report’s findings on {which} do not follow from the enclosed original files',
  },
  'evidence.verify.finding.chain': { 'zh-CN': '证书链', en: 'the certificate chain' },
  'evidence.verify.finding.crl': { 'zh-CN': '证书废止列表', en: 'the revocation list' },
  'evidence.verify.finding.signature': { 'zh-CN': '文件签名', en: 'the document signature' },
  'evidence.verify.list-separator': { 'zh-CN': '、', en: ' and ' },
  'evidence.verify.separator': { 'zh-CN': '；', en: '; ' },
  'evidence.verify.verdict-failed': {
    'zh-CN': '核验未通过：{reasons}。报告中所写的结论和核查结果都不可采信。',
    en: 'Verification failed: {reasons}. Neither the conclusion nor the findings written in the report can be relied on.',
  },
  'cli.evidence-technical': {
    'zh-CN': '  技术细节：',
    en: '  Technical detail:',
  },
  'dispute.too-late': {
    'zh-CN': '争议须在发现问题之日起 {months} 个月内提出：发现于 {discovered}，最迟 {deadline}，今天是 {today}',
    en: 'A dispute must be filed within {months} months of discovering the problem: discovered {discovered}, deadline {deadline}, today is {today}',
  },
  'dispute.bad-date': {
    'zh-CN': '发现日期必须是不晚于今天的日期（YYYY-MM-DD）：{value}',
    en: 'The discovery date must be a date not after today (YYYY-MM-DD): {value}',
  },
  'dispute.description-required': {
    'zh-CN': '请说明争议的内容（最多 {max} 字）',
    en: 'Describe the dispute (at most {max} characters)',
  },
  'dispute.unknown-subscriber': {
    'zh-CN': '注册机构没有订户 {subscriberId} 的记录，不能为其登记争议',
    en: 'The registration authority has no subscriber {subscriberId}; no dispute can be filed for them',
  },
  'dispute.not-found': {
    'zh-CN': '找不到争议 {id}',
    en: 'No dispute {id}',
  },
  'dispute.bad-transition': {
    'zh-CN': '争议 {id} 处于“{from}”状态，不能转为“{to}”（可转为：{allowed}）',
    en: 'Dispute {id} is {from} and cannot become {to} (it can become: {allowed})',
  },
  'dispute.note-required': {
    'zh-CN': '每次状态变更都需要说明（最多 {max} 字）',
    en: 'Every change of state needs a note (at most {max} characters)',
  },
  'dispute.notice.subject': {
    'zh-CN': '争议 {id}：{state}',
    en: 'Dispute {id}: {state}',
  },
  'dispute.notice.body': {
    'zh-CN': '订户 {subscriber} 的争议（发现于 {discovered}）现为“{state}”。说明：{note}',
    en: 'The dispute of subscriber {subscriber} (discovered {discovered}) is now {state}. Note: {note}',
  },
  'dispute.state.filed': { 'zh-CN': '已受理', en: 'filed' },
  'dispute.state.investigating': { 'zh-CN': '调查中', en: 'investigating' },
  'dispute.state.negotiation': { 'zh-CN': '协商中', en: 'in negotiation' },
  'dispute.state.referred-to-arbitration': { 'zh-CN': '已提交仲裁', en: 'referred to arbitration' },
  'dispute.state.closed': { 'zh-CN': '已结案', en: 'closed' },
} satisfies Catalogue;

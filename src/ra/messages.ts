import type { Catalogue } from '../i18n/messages.js';

/** Every text of the RA a person reads, in zh-CN and en. */
export const RA_MESSAGES = {
  'ra.invalid-resident-id.format': {
    'zh-CN': '居民身份证号码必须是 18 位：17 位数字加 1 位校验码（数字或 X）',
    en: 'A resident identity number has 18 characters: 17 digits and a check character (digit or X)',
  },
  'ra.invalid-resident-id.region': {
    'zh-CN': '居民身份证号码的地址码无效',
    en: 'The address code of the resident identity number is invalid',
  },
  'ra.invalid-resident-id.birth-date': {
    'zh-CN': '居民身份证号码中的出生日期不是有效日期',
    en: 'The birth date in the resident identity number is not a valid date',
  },
  'ra.invalid-resident-id.check-digit': {
    'zh-CN': '居民身份证号码校验码不正确（GB 11643，ISO 7064 MOD 11-2），请核对每一位',
    en: 'The check digit of the resident identity number is wrong (GB 11643, ISO 7064 MOD 11-2); please check every digit',
  },
  'ra.invalid-uscc.length': {
    'zh-CN': '统一社会信用代码必须是 18 位',
    en: 'A Unified Social Credit Code has 18 characters',
  },
  'ra.invalid-uscc.alphabet': {
    'zh-CN': '统一社会信用代码只能包含数字和除 I、O、S、V、Z 以外的大写字母',
    en: 'A Unified Social Credit Code contains only digits and capital letters other than I, O, S, V and Z',
  },
  'ra.invalid-uscc.region': {
    'zh-CN': '统一社会信用代码第 3 至 8 位（登记管理机关行政区划码）必须是数字',
    en: 'Characters 3 to 8 of a Unified Social Credit Code (the region code) must be digits',
  },
  'ra.invalid-uscc.check-character': {
    'zh-CN': '统一社会信用代码校验码不正确（GB 32100），请核对每一位',
    en: 'The check character of the Unified Social Credit Code is wrong (GB 32100); please check every character',
  },
  'ra.invalid-phone': {
    'zh-CN': '手机号码无效（11 位中国大陆手机号，或以 + 开头的国际号码）',
    en: 'Invalid phone number (an 11-digit mainland mobile number, or an international number starting with +)',
  },
  'ra.invalid-email': { 'zh-CN': '电子邮件地址无效', en: 'Invalid e-mail address' },
  'ra.invalid-id-type': { 'zh-CN': '不支持的证件类型（可用：{known}）', en: 'Unsupported ID document type (supported: {known})' },
  'ra.invalid-id-number': {
    'zh-CN': '证件号码格式无效（5 至 20 位字母或数字）',
    en: 'Invalid ID document number (5 to 20 letters or digits)',
  },
  'ra.field-required': { 'zh-CN': '请填写{field}', en: 'The {field} is required' },
  'ra.field-too-long': { 'zh-CN': '{field}过长（最多 {limit} 个字符）', en: 'The {field} is too long (at most {limit} characters)' },
  'ra.field-control-characters': { 'zh-CN': '{field}含有控制字符', en: 'The {field} contains control characters' },
  'ra.bad-subscriber-type': {
    'zh-CN': '请选择订户类型：个人或企业',
    en: 'Choose the subscriber type: individual or enterprise',
  },
  'ra.consent-required': {
    'zh-CN': '订户必须先阅读并同意现行的订户协议（并注明所同意协议的版本）',
    en: 'The subscriber must first read and agree to the current subscriber agreement (naming the version agreed to)',
  },
  'ra.consent-outdated': {
    'zh-CN': '订户同意的协议版本 {given} 不是现行版本 {current}',
    en: 'The subscriber agreed to version {given}, but the current version is {current}',
  },
  'ra.subscriber-exists': {
    'zh-CN': '该证件号码或统一社会信用代码已登记为订户 {subscriber}',
    en: 'This ID number or credit code is already registered as subscriber {subscriber}',
  },
  'ra.unknown-subscriber': { 'zh-CN': '找不到订户 {subscriber}', en: 'No subscriber {subscriber}' },
  'ra.no-record-at': { 'zh-CN': '{at} 时该订户尚无登记信息', en: 'Nothing was on file for this subscriber at {at}' },
  'ra.document-too-large': {
    'zh-CN': '证明材料过大（上限 {limit} 字节），未保存任何内容',
    en: 'The supporting document is too large (limit {limit} bytes); nothing was stored',
  },
  'ra.document-empty': { 'zh-CN': '证明材料为空', en: 'The supporting document is empty' },
  'ra.document-content-mismatch': {
    'zh-CN': '证明材料的内容与声明的类型 {declared} 不符，未保存任何内容',
    en: 'The supporting document\'s content is not the {declared} it is declared as; nothing was stored',
  },
  'ra.bad-document-kind': { 'zh-CN': '未知的材料类型（可用：{known}）', en: 'Unknown document kind (known: {known})' },
  'ra.bad-document-type': {
    'zh-CN': '不接受该文件类型（可用：{known}）',
    en: 'This file type is not accepted (accepted: {known})',
  },
  'ra.unknown-document': { 'zh-CN': '找不到材料 {document}', en: 'No document {document}' },
  'ra.bad-purpose': { 'zh-CN': '证书用途必须是 {known} 之一', en: 'The certificate purpose must be one of {known}' },
  'ra.bad-key-generation': {
    'zh-CN': '密钥生成方式必须是 subscriber（订户端）或 server（服务器端）',
    en: 'Key generation must be subscriber or server',
  },
  'ra.server-keygen-not-allowed': {
    'zh-CN': '证书模板 {profile} 不允许服务器端生成密钥，请在订户端生成密钥并提交 PKCS#10 请求',
    en: 'Profile {profile} does not allow server-side key generation; generate the key on the subscriber side and submit a PKCS#10 request',
  },
  'ra.key-generation-mismatch': {
    'zh-CN': '该申请选择的密钥生成方式是 {chosen}，请使用对应的下载方式',
    en: 'This application chose key generation "{chosen}"; use the matching download',
  },
  'ra.unknown-application': { 'zh-CN': '找不到申请 {application}', en: 'No application {application}' },
  'ra.bad-application-state': {
    'zh-CN': '申请当前状态为 {status}，此操作需要状态 {expected}',
    en: 'The application is {status}; this step needs {expected}',
  },
  'ra.reason-required': { 'zh-CN': '必须填写理由', en: 'A reason is required' },
  'ra.other-ra': {
    'zh-CN': '无权处理其他注册机构（{ra}）的订户或业务，未作任何更改',
    en: 'Not allowed to act on another RA\'s ({ra}) subscribers or work; nothing was changed',
  },
  'ra.role-not-admitted': {
    'zh-CN': '{role}无权执行此操作（允许：{roles}）',
    en: 'The {role} role may not do this (admitted: {roles})',
  },
  'ra.role-not-grantable': { 'zh-CN': '无权授予角色 {role}', en: 'Not allowed to grant role {role}' },
  'ra.name-not-unicode': {
    'zh-CN': '{field}含有不成对的 UTF-16 代理码元，不是有效的 Unicode 文本',
    en: 'The {field} contains a lone UTF-16 surrogate: it is not valid Unicode text',
  },
  'ra.name-invisible-character': {
    'zh-CN': '{field}含有不可见或改变显示方向的字符 {codePoint}（控制字符、双向控制符、零宽字符），不能写入证书',
    en: 'The {field} contains the invisible or direction-changing character {codePoint} (control, bidi control or zero-width character); it cannot go into a certificate',
  },
  'ra.credential-refused': {
    'zh-CN': '参考号或授权码不正确，或该下载凭证已不可用（授权码连续错误 {max} 次后凭证锁定，请联系注册机构重新申领）',
    en: 'Wrong reference number or authorization code, or the credential can no longer be used (it locks after {max} wrong codes; ask the RA for a new one)',
  },
  'ra.credential-in-progress': {
    'zh-CN': '该下载凭证正被一次下载使用，或上次下载被中断；请在 {seconds} 秒后重试',
    en: 'This download credential is in use by a download, or the last download was interrupted; try again in {seconds} seconds',
  },
  'ra.credential-used': {
    'zh-CN': '该下载凭证已使用过，每个凭证只能使用一次',
    en: 'This download credential has already been used; each credential works once',
  },
  'ra.credential-expired': {
    'zh-CN': '下载凭证已于 {expiredAt} 过期，请联系注册机构重新申领',
    en: 'The download credential expired at {expiredAt}; ask the RA for a new one',
  },
  'ra.credential-superseded': {
    'zh-CN': '该下载凭证已被新凭证取代',
    en: 'This download credential has been replaced by a newer one',
  },
  'ra.delegation-invalid': {
    'zh-CN': '代理人授权无效（{why}）',
    en: 'The agent\'s authorisation does not hold ({why})',
  },
  'ra.delegation-evidence-required': {
    'zh-CN': '授权委托必须附上该订户的授权书材料（evidenceDocumentId）',
    en: 'A delegation needs the subscriber\'s letter of authorisation as a stored document (evidenceDocumentId)',
  },
  'ra.bad-delegation-scope': { 'zh-CN': '授权范围无效（可用：{known}）', en: 'Invalid delegation scope (known: {known})' },
  'ra.bad-delegation-expiry': {
    'zh-CN': '授权到期时间必须在将来且不超过 {maxDays} 天',
    en: 'The delegation must expire in the future and within {maxDays} days',
  },
  'ra.unknown-delegation': { 'zh-CN': '找不到授权委托 {delegation}', en: 'No delegation {delegation}' },
  'ra.pkcs12-password-weak': {
    'zh-CN': 'PKCS#12 口令至少需要 {min} 个字符',
    en: 'The PKCS#12 password needs at least {min} characters',
  },
  'ra.bad-key-algorithm': { 'zh-CN': '服务器端只生成以下密钥：{known}', en: 'The server generates only these keys: {known}' },
  'ra.renewal-needs-same-key': {
    'zh-CN': '证书更新须使用原证书的密钥；更换密钥请申请密钥更新（re-key）',
    en: 'A renewal keeps the key of the certificate it renews; for a new key, apply for a re-key',
  },
  'ra.rekey-needs-new-key': {
    'zh-CN': '密钥更新必须使用新的密钥',
    en: 'A re-key needs a new key',
  },
  'ra.not-a-subscriber-certificate': {
    'zh-CN': '证书 {serial} 不属于本系统登记的订户',
    en: 'Certificate {serial} does not belong to a registered subscriber',
  },
  'ra.certificate-expired': {
    'zh-CN': '证书 {serial} 已于 {notAfter} 过期，只能重新申请，不能更新',
    en: 'Certificate {serial} expired at {notAfter}; apply anew instead of renewing',
  },
  'ra.certificate-revoked': { 'zh-CN': '证书 {serial} 已吊销，不能更新', en: 'Certificate {serial} is revoked and cannot be renewed' },
  'ra.replacement-pending': {
    'zh-CN': '该证书已有进行中的更新申请 {application}',
    en: 'There is already an open replacement application {application} for this certificate',
  },
  'ra.type-immutable': {
    'zh-CN': '订户类型不能变更，请另行登记',
    en: 'The subscriber type cannot change; register a new subscriber',
  },
  'ra.unknown-change': { 'zh-CN': '找不到变更申请 {change}', en: 'No change request {change}' },
  'ra.change-decided': { 'zh-CN': '该变更申请已处理（{status}）', en: 'This change request has already been decided ({status})' },
  'ra.change-stale': {
    'zh-CN': '变更申请基于第 {base} 版信息，而当前已是第 {current} 版，请重新提交',
    en: 'The change was based on version {base} but version {current} is now on file; submit it again',
  },
  'ra.unknown-ra': { 'zh-CN': '找不到注册机构 {ra}', en: 'No RA {ra}' },
  'ra.bad-ra-name': { 'zh-CN': '注册机构名称必填，最多 128 个字符', en: 'An RA name is required, at most 128 characters' },
  'ra.ra-name-taken': { 'zh-CN': '已有名为 {name} 的注册机构', en: 'There is already an RA named {name}' },
  'ra.closed': {
    'zh-CN': '注册机构 {ra} 已合并或撤销，业务由其承继机构办理',
    en: 'RA {ra} has been merged or withdrawn; its successor handles its work',
  },
  'ra.successor-required': { 'zh-CN': '必须指定承继的注册机构', en: 'A successor RA must be named' },
  'ra.successor-is-self': { 'zh-CN': '注册机构不能承继自身', en: 'An RA cannot succeed itself' },
  'ra.bad-username': {
    'zh-CN': '用户名为 3 至 64 位小写字母、数字、点、连字符或下划线',
    en: 'A username has 3 to 64 lower-case letters, digits, dots, hyphens or underscores',
  },
  'ra.username-taken': { 'zh-CN': '用户名 {username} 已被使用', en: 'Username {username} is taken' },
  'ra.unknown-role': { 'zh-CN': '未知角色 {role}（可用：{known}）', en: 'Unknown role {role} (known: {known})' },
  'ra.ca-admin-not-scoped': {
    'zh-CN': 'CA 管理员属于整个 CA，不能隶属某个注册机构',
    en: 'A CA administrator belongs to the whole CA, not to one RA',
  },
  'ra.ra-required': { 'zh-CN': '角色 {role} 必须隶属一个注册机构（raId）', en: 'Role {role} must belong to an RA (raId)' },
  'ra.weak-password': { 'zh-CN': '口令至少需要 {min} 个字符', en: 'The password needs at least {min} characters' },
  'ra.unknown-operator': { 'zh-CN': '找不到操作员 {operator}', en: 'No operator {operator}' },
  'ra.login-failed': { 'zh-CN': '用户名或口令错误', en: 'Wrong username or password' },
  'ra.login-throttled': {
    'zh-CN': '登录尝试过多，请 {minutes} 分钟后再试（从以前成功登录过的地址登录不受影响），或联系管理员解除',
    en: 'Too many login attempts; try again in {minutes} minutes (an address you logged in from before is not affected), or ask an administrator',
  },
  'ra.operator-disabled': { 'zh-CN': '该操作员账户已停用', en: 'This operator account is disabled' },
  'ra.operator-ra-closed': {
    'zh-CN': '该操作员所属注册机构 {ra} 已合并或撤销',
    en: 'This operator\'s RA {ra} has been merged or withdrawn',
  },
  'ra.session-expired': { 'zh-CN': '会话已过期，请重新登录', en: 'The session has expired; log in again' },
  'ra.csrf-mismatch': {
    'zh-CN': '缺少或错误的 CSRF 令牌（X-CSRF-Token 请求头），请求已拒绝',
    en: 'Missing or wrong CSRF token (X-CSRF-Token header); the request was refused',
  },
  'ra.token-needs-operator': {
    'zh-CN': 'API 令牌必须属于一个操作员账户（operatorId）',
    en: 'An API token must belong to an operator account (operatorId)',
  },
  'ra.bad-token-label': { 'zh-CN': 'API 令牌需要一个名称（最多 100 个字符）', en: 'An API token needs a label (at most 100 characters)' },
  'ra.bad-token-expiry': { 'zh-CN': 'API 令牌有效期为 1 至 730 天', en: 'An API token is valid for 1 to 730 days' },
  'ra.bad-revocation-reason': {
    'zh-CN': '订户申请吊销的原因须为以下之一：{known}',
    en: 'A subscriber\'s revocation request must give one of these reasons: {known}',
  },
  'ra.operator-self': { 'zh-CN': '不能停用或改变自己的账户，请由另一位管理员操作', en: 'You cannot disable or change your own account; another administrator must do it' },
  'ra.operator-already-active': { 'zh-CN': '操作员 {username} 已是启用状态', en: 'Operator {username} is already enabled' },
  'ra.operator-already-disabled': { 'zh-CN': '操作员 {username} 已是停用状态', en: 'Operator {username} is already disabled' },
  'ra.operator-role-unchanged': { 'zh-CN': '操作员 {username} 的角色已是 {role}', en: 'Operator {username} already has role {role}' },
  'ra.cli-operator-disabled': { 'zh-CN': '已停用操作员 {username}：其会话和 API 令牌立即失效', en: 'Disabled operator {username}: their sessions and API tokens stop working at once' },
  'ra.cli-operator-enabled': { 'zh-CN': '已重新启用操作员 {username}', en: 'Enabled operator {username} again' },
  'ra.cli-operator-role': { 'zh-CN': '操作员 {username} 的角色改为 {role}（注册机构 {ra}）', en: 'Operator {username} now has role {role} (RA {ra})' },
  'ra.cli-password-reset': { 'zh-CN': '已为操作员 {username} 设置新口令，并解除锁定', en: 'Set a new password for operator {username} and lifted any lockout' },
  'ra.cli-approved': {
    'zh-CN': '已批准申请 {id}。请把下载凭证交给订户（仅显示这一次）：\n参考号：{referenceNumber}\n授权码：{authorizationCode}\n有效期至：{expiresAt}',
    en: 'Approved application {id}. Hand the download credential to the subscriber (shown this once only):\nReference number: {referenceNumber}\nAuthorization code: {authorizationCode}\nValid until: {expiresAt}',
  },
  'ra.cli-rejected': { 'zh-CN': '已拒绝申请 {id}', en: 'Rejected application {id}' },
  'ra.cli-portal-access': {
    'zh-CN': '已为订户 {id} 签发新的门户登录凭证（仅显示这一次，原凭证作废）：\n查询号：{trackingNumber}\n查询码：{trackingCode}',
    en: 'New portal sign-in for subscriber {id} (shown this once only; the old one no longer works):\nTracking number: {trackingNumber}\nTracking code: {trackingCode}',
  },
  'ra.cli-org-created': { 'zh-CN': '已创建注册机构 {id}：{name}', en: 'Created RA {id}: {name}' },
  'ra.cli-succeeded': {
    'zh-CN': '注册机构 {ra} 已由 {successor} 承继：转入订户 {subscribers} 个、未完成申请 {applications} 件',
    en: 'RA {ra} is succeeded by {successor}: {subscribers} subscribers and {applications} pending applications moved',
  },
  'ra.cli-operator-created': { 'zh-CN': '已创建操作员 {username}（角色 {role}，注册机构 {ra}）', en: 'Created operator {username} (role {role}, RA {ra})' },
  'ra.cli-unlocked': { 'zh-CN': '已解除操作员 {username} 的锁定', en: 'Unlocked operator {username}' },
  'ra.cli-token-created': {
    'zh-CN': '已为 {username} 创建 API 令牌（仅显示这一次，请妥善保存）：',
    en: 'Created an API token for {username} (shown this once only; keep it safe):',
  },
  'ra.cli-agreement-published': {
    'zh-CN': '已发布订户协议版本 {version}（SHA-256 {sha256}），自 {at} 起生效',
    en: 'Published subscriber agreement version {version} (SHA-256 {sha256}), in force from {at}',
  },
  'ra.cli-password-missing': {
    'zh-CN': '请用 --password-env 变量名 或 --password-file 文件 提供口令（不接受命令行参数中的口令）',
    en: 'Give the password with --password-env VARIABLE or --password-file FILE (never as a command-line argument)',
  },
  'ra.unreviewed-identity': {
    'zh-CN': '证书请求中的名称 {name} 不是注册机构审核过的身份；请求中只能填写审核过的主题和邮箱，或留空',
    en: 'The request names {name}, which the registration authority did not review; a request may name only the reviewed subject and e-mail, or nothing',
  },
  'ra.no-approved-replacement': {
    'zh-CN': '证书 {serial} 没有已批准、待下载的更新申请',
    en: 'Certificate {serial} has no approved renewal waiting to be downloaded',
  },
  // Issue 20: two-person approval and the warnings before approving.
  'ra.two-person-required': {
    'zh-CN': '本注册机构实行双人审核：登记该订户或提交该申请的操作员不能再批准它，请由另一位审核员批准',
    en: 'This registration authority requires two people: the officer who registered this subscriber or submitted this application cannot also approve it; another officer must approve it',
  },
  'ra.two-person-required-change': {
    'zh-CN': '本注册机构实行双人审核：提交该信息变更的操作员不能再批准它，请由另一位审核员批准',
    en: 'This registration authority requires two people: the officer who submitted this change of information cannot also approve it; another officer must approve it',
  },
  'ra.approval-warning.same-officer': {
    'zh-CN': '该申请由您本人登记。本注册机构允许单人审核，但批准后将在审计日志中记录为“同一人登记并批准”',
    en: 'You registered this application yourself. This registration authority allows one person to approve, but the approval will be recorded in the audit log as registered and approved by the same person',
  },
  'ra.approval-warning.no-documents': {
    'zh-CN': '该订户没有上传任何证明材料（如身份证件或营业执照），请在批准前核验身份；没有材料的批准将记入审计日志',
    en: 'No supporting document (such as an identity document or business licence) has been uploaded for this subscriber; verify the identity before approving. An approval without documents is recorded in the audit log',
  },
  'ra.cli-approval-two-person': { 'zh-CN': '注册机构 {ra} 实行双人审核：登记申请的操作员不能再批准它', en: 'RA {ra} requires two people: the officer who registered an application cannot approve it' },
  'ra.cli-approval-single-person': { 'zh-CN': '注册机构 {ra} 允许单人审核：同一人登记并批准时给出提示并记入审计日志', en: 'RA {ra} allows one person to register and approve, with a warning recorded in the audit log' },
  'ra.bad-approval-policy': {
    'zh-CN': '审核方式只能是双人审核或单人审核',
    en: 'The approval policy is either two-person or single-person',
  },
  'ra.personal-data-key-missing': {
    'zh-CN': '个人信息（{reference}）已加密保存，但没有配置可打开它的个人信息密钥：请设置 SIGNET_PII_KEY（或 SIGNET_PII_KEY_FILE）',
    en: 'Personal data ({reference}) is stored encrypted, but no personal-data key is configured to open it: set SIGNET_PII_KEY (or SIGNET_PII_KEY_FILE)',
  },
} satisfies Catalogue;

import { formatShanghaiTime, type Locale } from '../i18n/locale.js';
import type { EvidenceManifest } from './evidence-report.js';

const LABELS: Record<Locale, Record<string, string>> = {
  'zh-CN': {
    title: '电子认证证据报告',
    intro: '本报告由证书认证机构依据《数字证书订户协议》第二条第 3 款出具，连同其中引用的原始文件一并签名，可离线验证（signet evidence verify）。',
    certificate: '证书',
    serial: '序列号',
    subject: '持有人',
    issuer: '签发者',
    validity: '有效期',
    time: '交易时间',
    chain: '证书链（签发 CA → 根 CA）',
    checks: '核验结果',
    ok: '通过',
    failed: '未通过',
    artefacts: '随附原始文件（SHA-256）',
    generated: '报告编号 {id}，生成于 {time}',
  },
  en: {
    title: 'Certification evidence report',
    intro: 'Issued by the certification authority under clause II.3 of the subscriber agreement. It is signed together with the original files it cites and can be verified offline (signet evidence verify).',
    certificate: 'Certificate',
    serial: 'Serial',
    subject: 'Holder',
    issuer: 'Issuer',
    validity: 'Validity',
    time: 'Transaction time',
    chain: 'Certificate chain (issuing CA → root CA)',
    checks: 'Findings',
    ok: 'passed',
    failed: 'failed',
    artefacts: 'Original files enclosed (SHA-256)',
    generated: 'Report {id}, generated {time}',
  },
};

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The manifest as a page a judge or an arbitrator can read; times in Asia/Shanghai. */
export function renderEvidenceHtml(manifest: EvidenceManifest, locale: Locale): string {
  const t = LABELS[locale];
  const row = (label: string, value: string) => `<tr><th>${escape(label)}</th><td>${escape(value)}</td></tr>`;
  const verdict = manifest.statusAtTime === 'not-revoked' ? 'good' : 'bad';
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<title>${escape(t.title!)} — ${escape(manifest.certificate.serial)}</title>
<style>
body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC",sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.5}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}
th{width:12rem;color:#555;font-weight:600}.conclusion{padding:1rem;border-radius:.4rem;font-size:1.15rem;font-weight:600}
.good{background:#e8f5e9;border:1px solid #2e7d32}.bad{background:#ffebee;border:1px solid #c62828}
li.ok::marker{content:"✔ ";color:#2e7d32}li.failed::marker{content:"✘ ";color:#c62828}code{font-size:.85em;word-break:break-all}
</style>
</head>
<body>
<h1>${escape(t.title!)}</h1>
<p>${escape(t.intro!)}</p>
<p class="conclusion ${verdict}">${escape(manifest.conclusion[locale])}</p>
<h2>${escape(t.certificate!)}</h2>
<table>
${row(t.serial!, manifest.certificate.serial)}
${row(t.subject!, manifest.certificate.subject)}
${row(t.issuer!, manifest.certificate.issuer)}
${row(t.validity!, `${formatShanghaiTime(manifest.certificate.notBefore)} — ${formatShanghaiTime(manifest.certificate.notAfter)}`)}
${row(t.time!, `${formatShanghaiTime(manifest.transactionTime)} (${manifest.timeSourceText[locale]})`)}
</table>
<h2>${escape(t.chain!)}</h2>
<ol>${manifest.chain.map((c) => `<li>${escape(c.subject)} <code>${escape(c.serial)}</code></li>`).join('')}</ol>
<h2>${escape(t.checks!)}</h2>
<ul>${manifest.checks.map((c) => `<li class="${c.ok ? 'ok' : 'failed'}"><strong>${escape(c.ok ? t.ok! : t.failed!)}</strong> — ${escape(c.text[locale])}</li>`).join('')}</ul>
<h2>${escape(t.artefacts!)}</h2>
<table>${Object.entries(manifest.artefacts).map(([name, hash]) => row(name, hash)).join('\n')}</table>
<p><small>${escape(t.generated!.replace('{id}', manifest.id).replace('{time}', formatShanghaiTime(manifest.generatedAt)))}</small></p>
</body>
</html>
`;
}

import { useState, type FormEvent } from 'react';
import { Alert, Card, Field, LoadError, Loading, Steps, inputProps, useLoad, useProblem } from '../components';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { AdminPage } from './admin-nav';
import { admin, beijingInstant, type AgreementVersion } from './admin-api';

const FIELDS = ['id', 'titleZh', 'titleEn', 'textZh', 'textEn', 'effectiveAt'] as const;
/** The server names fields as its body has them (text.en); the form has one input each. */
const FIELD_MAP: Record<string, string> = { text: 'textZh', 'text.zh-CN': 'textZh', 'text.en': 'textEn', 'title.zh-CN': 'titleZh', 'title.en': 'titleEn', title: 'titleZh', version: 'id' };

/** A text file chosen from disk fills the text area (the agreement is long; nobody types it). */
function TextFile({ onText }: { onText: (text: string) => void }) {
  const { t } = useI18n();
  return (
    <label className="small muted">
      {t('agreements.from-file')}{' '}
      <input type="file" accept=".txt,.md,text/plain" onChange={(e) => void e.target.files?.[0]?.text().then(onText)} />
    </label>
  );
}

/** R19: publish a new agreement version in both languages; every subscriber using a certificate is told, and a month later continued use is acceptance. */
export function AgreementsPage() {
  const { t, time } = useI18n();
  const versions = useLoad<AgreementVersion[]>(admin.agreements, []);
  const [form, setForm] = useState({ id: '', titleZh: '', titleEn: '', textZh: '', textEn: '', effectiveAt: '' });
  const [stage, setStage] = useState<number | null>(null);
  const [failed, setFailed] = useState(false);
  const [done, setDone] = useState<{ version: AgreementVersion; notified: number } | null>(null);
  const problem = useProblem(FIELDS);
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value });

  async function submit(event: FormEvent) {
    event.preventDefault();
    problem.clear();
    setDone(null);
    setFailed(false);
    if (form.effectiveAt && !beijingInstant(form.effectiveAt)) {
      problem.report(new Error(t('agreements.bad-date')), {}, 'effectiveAt');
      return;
    }
    setStage(0);
    try {
      const answer = await admin.publishAgreement({
        id: form.id.trim(),
        title: { 'zh-CN': form.titleZh.trim(), en: form.titleEn.trim() },
        text: { 'zh-CN': form.textZh, en: form.textEn },
        ...(form.effectiveAt ? { effectiveAt: beijingInstant(form.effectiveAt) } : {}),
      });
      setStage(2);
      setDone(answer);
      setForm({ id: '', titleZh: '', titleEn: '', textZh: '', textEn: '', effectiveAt: '' });
      versions.reload();
    } catch (error) {
      setFailed(true);
      problem.report(error, FIELD_MAP, 'id');
    }
  }

  const e = problem.fieldErrors;
  const busy = stage !== null && stage < 2 && !failed;
  return (
    <AdminPage title={t('admin.agreements')} lead={t('agreements.lead')}>
      {done && (
        <Alert kind="success">
          <span data-testid="published">
            {t('agreements.published', { version: done.version.id, n: done.notified })} <Link to={`/agreement/${encodeURIComponent(done.version.id)}`}>{t('agreement.open')}</Link>
          </span>
        </Alert>
      )}
      <Card title={t('agreements.versions')}>
        {versions.loading && !versions.data && <Loading />}
        <LoadError error={versions.error} />
        {versions.data && versions.data.length === 0 && <p className="muted">{t('common.none')}</p>}
        {versions.data && versions.data.length > 0 && (
          <div className="table-wrap">
            <table className="responsive">
              <thead>
                <tr>
                  <th>{t('agreement.version')}</th>
                  <th>{t('agreements.title-label')}</th>
                  <th>{t('agreement.published')}</th>
                  <th>{t('agreements.effective')}</th>
                </tr>
              </thead>
              <tbody>
                {[...versions.data].reverse().map((v) => (
                  <tr key={v.id} data-version={v.id}>
                    <td data-label={t('agreement.version')}>
                      <Link to={`/agreement/${encodeURIComponent(v.id)}`}>{v.id}</Link>
                    </td>
                    <td data-label={t('agreements.title-label')}>
                      {v.title}
                      {v.titleEn && v.titleEn !== v.title && <span className="muted"> · {v.titleEn}</span>}
                    </td>
                    <td data-label={t('agreement.published')}>{time(v.publishedAt)}</td>
                    <td data-label={t('agreements.effective')}>{time(v.effectiveAt ?? v.publishedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Card title={t('agreements.publish')}>
        <form onSubmit={submit} noValidate>
          <Field label={t('agreement.version')} name="id" error={e.id} hint={t('agreements.id-hint')}>
            <input {...inputProps('id', e)} value={form.id} onChange={set('id')} autoComplete="off" />
          </Field>
          <div className="grid two">
            <Field label={t('agreements.title-zh')} name="titleZh" error={e.titleZh}>
              <input {...inputProps('titleZh', e)} value={form.titleZh} onChange={set('titleZh')} lang="zh-CN" />
            </Field>
            <Field label={t('agreements.title-en')} name="titleEn" error={e.titleEn}>
              <input {...inputProps('titleEn', e)} value={form.titleEn} onChange={set('titleEn')} lang="en" />
            </Field>
            <div>
              <Field label={t('agreements.text-zh')} name="textZh" error={e.textZh}>
                <textarea {...inputProps('textZh', e)} value={form.textZh} onChange={set('textZh')} rows={8} lang="zh-CN" />
              </Field>
              <TextFile onText={(text) => setForm((f) => ({ ...f, textZh: text }))} />
            </div>
            <div>
              <Field label={t('agreements.text-en')} name="textEn" error={e.textEn}>
                <textarea {...inputProps('textEn', e)} value={form.textEn} onChange={set('textEn')} rows={8} lang="en" />
              </Field>
              <TextFile onText={(text) => setForm((f) => ({ ...f, textEn: text }))} />
            </div>
          </div>
          <Field label={t('agreements.effective-at')} name="effectiveAt" error={e.effectiveAt} hint={t('agreements.effective-hint')}>
            <input {...inputProps('effectiveAt', e)} type="datetime-local" value={form.effectiveAt} onChange={set('effectiveAt')} />
          </Field>
          <Alert kind="info">{t('agreements.rule')}</Alert>
          {problem.formError && <Alert>{problem.formError}</Alert>}
          <button type="submit" disabled={busy}>
            {busy ? t('common.working') : t('agreements.publish-action')}
          </button>
          {stage !== null && <Steps steps={[t('agreements.step-publish'), t('agreements.step-notify')]} current={failed ? 0 : stage} failed={failed} />}
        </form>
      </Card>
    </AdminPage>
  );
}

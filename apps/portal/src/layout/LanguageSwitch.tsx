import { useI18n, type Language } from '../i18n/i18n';

/** 中文 / English, remembered in localStorage. */
export function LanguageSwitch() {
  const { t, language, setLanguage } = useI18n();
  return (
    <div className="language-switch">
      <label htmlFor="language-switch">{t('lang.label')}</label>
      <select id="language-switch" value={language} onChange={(event) => setLanguage(event.target.value as Language)}>
        <option value="zh" lang="zh-CN">
          {t('lang.zh')}
        </option>
        <option value="en" lang="en">
          {t('lang.en')}
        </option>
      </select>
    </div>
  );
}

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { formatDate, formatDateTime, formatNumber } from './format';
import { translator, type Language, type MessageKey, type Translate } from './messages';

export type { Language, MessageKey, Translate };

const STORAGE_KEY = 'kami.language';

export interface I18n {
  language: Language;
  setLanguage: (language: Language) => void;
  t: Translate;
  dateTime: (iso: string | Date) => string;
  date: (iso: string | Date) => string;
  number: (value: number) => string;
}

function initialLanguage(): Language {
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    if (stored === 'zh' || stored === 'en') return stored;
  } catch {
    // storage unavailable (private mode): default language
  }
  return 'zh';
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(initialLanguage);

  const setLanguage = useCallback((next: Language) => {
    setLanguageState(next);
    try {
      window.localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // not remembered, still switched
    }
  }, []);

  useEffect(() => {
    document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
  }, [language]);

  const value = useMemo<I18n>(() => {
    return {
      language,
      setLanguage,
      t: translator(language),
      dateTime: (iso) => formatDateTime(iso, language),
      date: (iso) => formatDate(iso, language),
      number: (n) => formatNumber(n, language),
    };
  }, [language, setLanguage]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const context = useContext(I18nContext);
  if (!context) throw new Error('useI18n outside I18nProvider');
  return context;
}

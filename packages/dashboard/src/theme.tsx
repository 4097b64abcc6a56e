import { useEffect, useState } from 'react';

type Theme = 'system' | 'light' | 'dark';
const next: Record<Theme, Theme> = { system: 'light', light: 'dark', dark: 'system' };

/** Cycles the colour scheme: the system's, light, dark. The choice is kept in memory, like everything else. */
export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>('system');

  useEffect(() => {
    if (theme === 'system') delete document.documentElement.dataset['theme'];
    else document.documentElement.dataset['theme'] = theme;
  }, [theme]);

  return (
    <button type="button" onClick={() => setTheme(next[theme])} aria-label={`Colour scheme: ${theme}. Change it`}>
      Theme: {theme}
    </button>
  );
}

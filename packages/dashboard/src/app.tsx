import { useCallback, useState, type MouseEvent } from 'react';
import { HashRouter, NavLink, Route, Routes } from 'react-router';
import { LiveEventsProvider } from './live-events.js';
import { navigationItems } from './navigation.js';
import { AccessReviewPage } from './pages/access-review.js';
import { AlertsPage } from './pages/alerts.js';
import { AuditLogPage } from './pages/audit-log.js';
import { OverviewPage } from './pages/overview.js';
import { SecretDetailPage } from './pages/secret-detail.js';
import { SecretsPage } from './pages/secrets.js';
import { SignIn } from './pages/sign-in.js';
import { TokenDetailPage } from './pages/token-detail.js';
import { TokensPage } from './pages/tokens.js';
import { SessionContext, type Session } from './session.js';
import { ThemeToggle } from './theme.js';

/** The dashboard: sign-in, then the pages. Routes live in the URL fragment, which contains ids only, never a secret. */
export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const signOut = useCallback(() => {
    // The next sign-in, perhaps with another token, starts at the overview rather than on this token's last page.
    window.location.hash = '#/';
    setSession(null);
  }, []);

  if (!session) return <SignIn onSignedIn={(signedIn) => setSession({ ...signedIn, signOut })} />;

  return (
    <SessionContext.Provider value={session}>
      <LiveEventsProvider>
        <HashRouter>
          <a className="skip-link" href="#main" onClick={skipToMain}>
            Skip to content
          </a>
          <div className="layout">
            <header className="sidebar">
              <span className="brand">Tessera</span>
              <nav aria-label="Main">
                <ul>
                  {navigationItems.map((item) => (
                    <li key={item.path}>
                      <NavLink to={item.path} end={item.path === '/'}>
                        {item.label}
                      </NavLink>
                    </li>
                  ))}
                </ul>
              </nav>
              <div className="sidebar-footer">
                <span className="caller" title="The signed-in admin token">
                  {session.caller.hint ?? 'admin token'}
                </span>
                <ThemeToggle />
                <button type="button" onClick={signOut}>
                  Sign out
                </button>
              </div>
            </header>
            <main id="main" tabIndex={-1}>
              <Routes>
                <Route path="/" element={<OverviewPage />} />
                <Route path="/tokens" element={<TokensPage />} />
                <Route path="/tokens/:id" element={<TokenDetailPage />} />
                <Route path="/alerts" element={<AlertsPage />} />
                <Route path="/secrets" element={<SecretsPage />} />
                <Route path="/secrets/:environment/:name" element={<SecretDetailPage />} />
                <Route path="/review" element={<AccessReviewPage />} />
                <Route path="/audit" element={<AuditLogPage />} />
                <Route path="*" element={<p>No such page. Choose one from the navigation.</p>} />
              </Routes>
            </main>
          </div>
        </HashRouter>
      </LiveEventsProvider>
    </SessionContext.Provider>
  );
}

// The fragment is the router's, so the skip link moves focus itself instead of changing the hash.
function skipToMain(event: MouseEvent) {
  event.preventDefault();
  document.getElementById('main')?.focus();
}

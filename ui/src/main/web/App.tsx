import { NavLink, Navigate, Route, Routes } from "react-router";
import type { Session } from "./auth";
import { BackfillsPage } from "./pages/BackfillsPage";
import { DagPage } from "./pages/DagPage";
import { DagsPage } from "./pages/DagsPage";
import { RunsPage } from "./pages/RunsPage";

export function App({ session }: { session: Session }) {
  return (
    <>
      <header className="top">
        <span className="brand">Sluice</span>
        <nav>
          <NavLink to="/dags">DAGs</NavLink>
          <NavLink to="/runs">Runs</NavLink>
          <NavLink to="/backfills">Backfills</NavLink>
        </nav>
        <span className="who" id="who">
          {session.user} ({session.roles.join(", ")})
          {session.signOut && (
            <button type="button" onClick={session.signOut}>
              Sign out
            </button>
          )}
        </span>
      </header>
      {!session.authentication.enabled && (
        <div className="banner notice" id="auth-off">
          Authentication is off: every visitor has every role. This Sluice answers on loopback only; start it with
          --auth-issuer (or standalone --keycloak) to require sign-in.
        </div>
      )}
      <main>
        <Routes>
          <Route path="/" element={<Navigate to="/dags" replace />} />
          <Route path="/callback" element={<Navigate to="/dags" replace />} />
          <Route path="/dags" element={<DagsPage session={session} />} />
          <Route path="/dags/:dagId/*" element={<DagPage session={session} />} />
          <Route path="/runs" element={<RunsPage />} />
          <Route path="/backfills" element={<BackfillsPage session={session} />} />
          <Route path="*" element={<p className="banner error">No such page of Sluice.</p>} />
        </Routes>
      </main>
    </>
  );
}

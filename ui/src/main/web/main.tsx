import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { App } from "./App";
import { startSession } from "./auth";
import "./styles.css";

const root = createRoot(document.getElementById("root")!);

startSession()
  .then((session) => {
    if (session) {
      root.render(
        <StrictMode>
          <BrowserRouter basename="/ui">
            <App session={session} />
          </BrowserRouter>
        </StrictMode>,
      );
    }
  })
  .catch((error: unknown) => {
    root.render(
      <div className="banner error" role="alert">
        Sluice cannot start the UI: {error instanceof Error ? error.message : String(error)}
      </div>,
    );
  });

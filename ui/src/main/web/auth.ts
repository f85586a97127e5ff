// Who the user is: without authentication (standalone on loopback) everyone holds every role; with
// it, the user signs in at Keycloak (authorisation code with PKCE, public client sluice-ui) and
// every API call carries the access token, which stays in this tab's session storage only.

import { UserManager, WebStorageStateStore } from "oidc-client-ts";
import { get, useTokens } from "./api";
import type { AuthSettings, Whoami } from "./types";

/** The client when the server does not name one (an older server). */
const DEFAULT_UI_CLIENT = "sluice-ui";
const CALLBACK = "/ui/callback";

export interface Session {
  authentication: AuthSettings;
  user: string;
  roles: string[];
  canOperate: boolean;
  signOut?: () => void;
}

function session(authentication: AuthSettings, whoami: Whoami, signOut?: () => void): Session {
  const canOperate = whoami.roles.includes("operator") || whoami.roles.includes("admin");
  return { authentication, user: whoami.user, roles: whoami.roles, canOperate, signOut };
}

/** Signs in when the API needs it; resolves to undefined while the browser goes to the sign-in page. */
export async function startSession(): Promise<Session | undefined> {
  const authentication = await get<AuthSettings>("/auth");
  if (!authentication.enabled || !authentication.issuer) {
    return session(authentication, await get<Whoami>("/whoami"));
  }
  const origin = window.location.origin;
  const manager = new UserManager({
    authority: authentication.issuer,
    client_id: authentication.uiClientId ?? DEFAULT_UI_CLIENT,
    redirect_uri: origin + CALLBACK,
    post_logout_redirect_uri: origin + "/ui/",
    response_type: "code",
    scope: "openid",
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
    automaticSilentRenew: true,
  });
  if (window.location.pathname === CALLBACK) {
    const signedIn = await manager.signinRedirectCallback();
    const back = typeof signedIn.state === "string" && signedIn.state.startsWith("/ui/") ? signedIn.state : "/ui/";
    window.history.replaceState(null, "", back);
  }
  let user = await manager.getUser();
  if (!user || user.expired) {
    await manager.signinRedirect({ state: window.location.pathname + window.location.search });
    return undefined;
  }
  useTokens(async () => {
    user = await manager.getUser();
    return user && !user.expired ? user.access_token : undefined;
  });
  return session(authentication, await get<Whoami>("/whoami"), () => {
    manager.signoutRedirect();
  });
}

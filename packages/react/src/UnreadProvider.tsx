'use client';
import type { UnreadStore } from '@crisp-unread/core';
import { createContext, type ReactElement, type ReactNode } from 'react';

/** The store of the nearest `<UnreadProvider>`; `undefined` outside any provider. */
export const UnreadContext = createContext<UnreadStore | null | undefined>(undefined);
UnreadContext.displayName = 'UnreadContext';

/** Props of `<UnreadProvider>`. */
export interface UnreadProviderProps {
  /** The store `useUnread()` reads below this provider, or `null` for none (idle). */
  store: UnreadStore | null;
  children?: ReactNode | undefined;
}

/** Makes `store` the one `useUnread()` reads in this subtree. */
export function UnreadProvider({ store, children }: UnreadProviderProps): ReactElement {
  return <UnreadContext.Provider value={store}>{children}</UnreadContext.Provider>;
}

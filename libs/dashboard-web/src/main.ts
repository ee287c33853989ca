import './styles.css';
import { fetchNetwork } from './api-client';
import type { MountedPage } from './dom';
import { formatTime } from './format';
import { NetworkState } from './network-state';
import { mountAlerts } from './pages/alerts';
import { mountDetail } from './pages/detail';
import { mountDetectors } from './pages/detectors';
import { mountMap } from './pages/map';
import { parseHash, type Route } from './router';
import { LiveStream, type StreamStatus } from './stream';

/** How long to wait before asking for the snapshot again when the server could not give it. */
const SNAPSHOT_RETRY_MS = 5000;

/**
 * The dashboard: one network snapshot (`GET /api/network`) kept live by the stream, and
 * the page of the current hash route drawn from it.
 */
function start(): void {
  const page = document.getElementById('page')!;
  const status = document.getElementById('status')!;
  const logout = document.querySelector<HTMLFormElement>('form.logout')!;
  const state = new NetworkState();
  let mounted: MountedPage | undefined;
  let streamStatus: StreamStatus = 'connecting';
  let snapshotRetry: ReturnType<typeof setTimeout> | undefined;
  /** When the picture last changed (the snapshot's time, then each event's arrival): a stall shows. */
  let updatedAt: string | undefined;

  const showStatus = (): void => {
    const label = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…' }[streamStatus];
    status.textContent = updatedAt ? `${label} · updated ${formatTime(updatedAt, Date.now())}` : label;
    status.dataset['stream'] = streamStatus;
  };

  const loadSnapshot = async (): Promise<void> => {
    clearTimeout(snapshotRetry);
    try {
      const snapshot = await fetchNetwork();
      updatedAt = snapshot.generatedAt;
      logout.hidden = !snapshot.login;
      state.loadSnapshot(snapshot);
    } catch (error) {
      status.textContent = `Could not load the network: ${(error as Error).message}`;
      snapshotRetry = setTimeout(() => void loadSnapshot(), SNAPSHOT_RETRY_MS);
      return;
    }
    showStatus();
  };

  const mountRoute = (route: Route): MountedPage => {
    switch (route.page) {
      case 'map':
        return mountMap(page, state, route.params);
      case 'link':
      case 'route':
        return mountDetail(page, state, route.page, route.params);
      case 'alerts':
        return mountAlerts(page, state);
      case 'detectors':
        return mountDetectors(page, state);
    }
  };

  const showPage = (): void => {
    mounted?.unmount();
    page.replaceChildren();
    const route = parseHash(window.location.hash);
    for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a[href^="#/"]')) {
      const current = link.getAttribute('href') === `#/${route.page}`;
      if (current) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    mounted = mountRoute(route);
  };

  window.addEventListener('hashchange', showPage);
  showPage();
  const stream = new LiveStream('/api/stream', {
    onEvent: (event) => {
      state.apply(event);
      updatedAt = new Date().toISOString();
      showStatus();
    },
    onStatus: (next) => {
      streamStatus = next;
      showStatus();
    },
    onReconnect: () => void loadSnapshot(),
    // Reading the snapshot tells why: a 401 there sends the browser to the login page.
    onRefused: () => void loadSnapshot(),
  });
  void loadSnapshot().then(() => stream.open());
}

start();

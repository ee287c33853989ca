import './styles.css';

/**
 * The server answers a wrong token either by redirecting to `/login?error=1` or with
 * this page and status 401; both show the error line.
 */
function showError(): void {
  const navigation = performance.getEntriesByType('navigation')[0] as
    | (PerformanceNavigationTiming & { responseStatus?: number })
    | undefined;
  const refused =
    new URLSearchParams(window.location.search).has('error') || navigation?.responseStatus === 401;
  document.querySelector<HTMLElement>('.error')!.hidden = !refused;
}

showError();

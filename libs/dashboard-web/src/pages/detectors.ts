import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { DetectorSightings, DetectorView } from '../api';
import { fetchSightings } from '../api-client';
import { themedAxis, themedTimeAxis } from '../chart-theme';
import { nextSort, sortDetectors, type DetectorColumn, type DetectorSort } from '../detector-sort';
import { h, type MountedPage } from '../dom';
import { formatAge, formatHealth, formatSkew, formatTime, formatVolts, healthState } from '../format';
import type { NetworkState } from '../network-state';

const SIGHTINGS_MINUTES = 60;
/** The "last seen" ages are redrawn this often between the stream's detector updates. */
const AGE_REFRESH_MS = 15_000;

const COLUMNS: readonly { readonly column: DetectorColumn; readonly label: string }[] = [
  { column: 'id', label: 'Detector' },
  { column: 'last-seen', label: 'Last seen' },
  { column: 'battery', label: 'Battery' },
  { column: 'clock-skew', label: 'Clock skew' },
  { column: 'health', label: 'Health' },
  { column: 'count', label: 'Detections' },
];

/**
 * The detector table, sortable by any column and redrawn in the same order when the
 * stream brings new detector data. A row's click shows its sightings of the last hour.
 */
export function mountDetectors(container: HTMLElement, state: NetworkState): MountedPage {
  let sort: DetectorSort = { column: 'id', descending: false };
  let selected: string | undefined;
  const headers = COLUMNS.map(({ column, label }) =>
    h('th', { scope: 'col', 'data-sort': column, tabindex: 0, 'aria-sort': 'none' }, label),
  );
  const body = h('tbody');
  const sightings = new SightingsPanel();
  container.append(
    h(
      'section',
      { id: 'detectors' },
      h('h1', {}, 'Detectors'),
      h('table', { class: 'detectors' }, h('thead', {}, h('tr', {}, ...headers)), body),
      sightings.element,
    ),
  );

  const render = (): void => {
    const now = Date.now();
    const rows = sortDetectors([...state.detectors.values()], sort).map((detector) => {
      const row = detectorRow(detector, now);
      if (detector.id === selected) row.classList.add('selected');
      row.addEventListener('click', () => {
        selected = detector.id;
        render();
        sightings.show(detector.id);
      });
      return row;
    });
    body.replaceChildren(...rows);
    for (const header of headers) {
      const active = header.dataset['sort'] === sort.column;
      header.setAttribute('aria-sort', active ? (sort.descending ? 'descending' : 'ascending') : 'none');
    }
  };
  for (const header of headers) {
    const onSort = (): void => {
      sort = nextSort(sort, header.dataset['sort'] as DetectorColumn);
      render();
    };
    header.addEventListener('click', onSort);
    header.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') onSort();
    });
  }
  const unsubscribe = state.subscribe((change) => {
    if (change.type === 'detectors' || change.type === 'snapshot') render();
  });
  render();
  const ageTimer = setInterval(render, AGE_REFRESH_MS);
  return {
    unmount() {
      clearInterval(ageTimer);
      unsubscribe();
      sightings.destroy();
    },
  };
}

function detectorRow(detector: DetectorView, now: number): HTMLTableRowElement {
  const health = formatHealth(detector);
  const state = healthState(detector);
  return h(
    'tr',
    {
      'data-detector-id': detector.id,
      class: state === 'problems' ? 'unhealthy' : state === 'unchecked' ? 'unchecked' : undefined,
    },
    h('td', { 'data-col': 'id' }, detector.id),
    h(
      'td',
      { 'data-col': 'last-seen', title: formatTime(detector.lastSeen, now) },
      formatAge(detector.lastSeen, now),
    ),
    h('td', { 'data-col': 'battery' }, formatVolts(detector.batteryVolts)),
    h('td', { 'data-col': 'clock-skew' }, formatSkew(detector.clockSkewSeconds)),
    h('td', { 'data-col': 'health' }, health),
    h('td', { 'data-col': 'count' }, String(detector.detectionCount ?? '–')),
  );
}

/** `#sightings`: one detector's sightings per bin, as uPlot bars. */
class SightingsPanel {
  readonly element = h(
    'section',
    { id: 'sightings', 'aria-live': 'polite' },
    h('p', { class: 'message' }, `Choose a detector to see its sightings of the last ${SIGHTINGS_MINUTES} minutes.`),
  );
  private chart: uPlot | undefined;
  private requestNumber = 0;

  async show(detectorId: string): Promise<void> {
    const request = ++this.requestNumber;
    this.element.replaceChildren(h('h2', {}, `Sightings of ${detectorId}`), h('p', {}, 'Loading…'));
    try {
      const answer = await fetchSightings(detectorId, SIGHTINGS_MINUTES);
      if (request !== this.requestNumber) return;
      this.draw(answer);
    } catch (error) {
      if (request !== this.requestNumber) return;
      const reason = (error as Error).message;
      this.element.replaceChildren(h('p', { class: 'error' }, `Could not load sightings: ${reason}`));
    }
  }

  destroy(): void {
    this.requestNumber++;
    this.chart?.destroy();
  }

  private draw(answer: DetectorSightings): void {
    this.chart?.destroy();
    const total = answer.bins.reduce((sum, bin) => sum + bin.count, 0);
    const minutes = Math.round(answer.binSeconds / 60);
    const chartBox = h('div', { class: 'chart' });
    this.element.replaceChildren(
      h('h2', {}, `Sightings of ${answer.detectorId}`),
      h(
        'p',
        {},
        `${total} in the last ${SIGHTINGS_MINUTES} minutes, per ${minutes}-minute bin.`,
        answer.truncated && ' The newest bins stopped at the server’s limit and may be short.',
      ),
      chartBox,
    );
    this.element.dataset['detectorId'] = answer.detectorId;
    this.element.dataset['total'] = String(total);
    const data: uPlot.AlignedData = [
      answer.bins.map((bin) => Date.parse(bin.start) / 1000),
      answer.bins.map((bin) => bin.count),
    ];
    const bars = uPlot.paths.bars!({ size: [0.8, 60], align: 1 });
    this.chart = new uPlot(
      {
        width: Math.max(320, this.element.clientWidth),
        height: 200,
        legend: { show: false },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [themedTimeAxis(), themedAxis()],
        series: [
          {},
          {
            label: 'sightings',
            stroke: '#1e88e5',
            fill: 'rgba(30, 136, 229, 0.6)',
            paths: bars,
            points: { show: false },
          },
        ],
      },
      data,
      chartBox,
    );
    this.element.scrollIntoView({ block: 'nearest' });
  }
}

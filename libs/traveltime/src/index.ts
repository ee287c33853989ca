export { TravelTimeWorker, type RoundReport } from './travel-time-worker';
export { type TravelTimeWorkerOptions } from './travel-time-worker-options';
export { InProcessWorkLeases } from './in-process-work-leases';
export { IntervalSchedule } from './interval-schedule';
export { travelTimePart, traveltimeOptions } from './traveltime-part';
export { ROUTE_LINK_WAIT_INTERVALS, ROUTE_LIVE_INTERVALS } from './products/route-estimates';
export { PROFILES_BUILT_PER_ROUND } from './products/typical-profiles';

export {
  AppProcess,
  builtAppMain,
  type AppProcessOptions,
  type BuiltApp,
  type ReadyPorts,
} from './app-process';

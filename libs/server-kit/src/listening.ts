import { formatAddress, type Address } from './address';
import { ConfigError } from './config';

/**
 * Starts a listener on the option's address. An address already in use is a one-line
 * error naming the option, with exit code 2 like invalid config: another process holds
 * the port, and the fix is the configuration or that process, not a restart.
 */
export async function listening<T>(
  option: string,
  address: Address,
  start: (address: Address) => Promise<T>,
): Promise<T> {
  try {
    return await start(address);
  } catch (error) {
    if (isAddressInUse(error)) {
      throw new ConfigError(`${option}: ${formatAddress(address)} is already in use`, { option });
    }
    throw error;
  }
}

/** grpc-js reports EADDRINUSE in its message only; node:net as the error's code. */
function isAddressInUse(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EADDRINUSE' || cause.message.includes('EADDRINUSE')) {
      return true;
    }
  }
  return false;
}

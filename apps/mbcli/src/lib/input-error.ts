/** An operator's argument that cannot be used, named with the flag and why. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

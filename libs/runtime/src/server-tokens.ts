import { ConfigError, type OptionDeclaration } from '@message-bus/server-kit';

/**
 * Refuses two bearer tokens of one server that are equal, whichever parts declare them:
 * a client holding one would act as the other (see docs/privacy.md). A split
 * deployment cannot compare its processes' tokens; the chart and compose files give
 * each its own secret.
 *
 * @throws ConfigError naming the options, never their values
 */
export function checkDistinctTokens(
  declarations: readonly OptionDeclaration[],
  values: Readonly<Record<string, unknown>>,
): void {
  const tokens = declarations
    .filter((declaration) => declaration.bearerToken === true)
    .flatMap((declaration) => {
      const value = values[declaration.name];
      return typeof value === 'string' ? [[declaration.name, value] as const] : [];
    });
  for (const [index, [name, token]] of tokens.entries()) {
    const twin = tokens.slice(index + 1).find(([, other]) => other === token);
    if (twin !== undefined) {
      throw new ConfigError(
        `${name} and ${twin[0]} are the same token: a client holding one would act as both; give each its own`,
        { option: twin[0] },
      );
    }
  }
}

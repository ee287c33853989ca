/** A small element builder: the pages are plain DOM. */

type Child = Node | string | undefined | false;
type Attributes = Record<string, string | number | boolean | undefined>;

/**
 * `<tag>` with `attributes` (undefined and false are left out, true is an empty
 * attribute) and `children` (strings become text, never HTML).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  for (const child of children) if (child !== undefined && child !== false) element.append(child);
  return element;
}

export function setAttributes(element: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) element.removeAttribute(name);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
}

/** A small square of `colour`, for legends. */
export function swatch(colour: string): HTMLSpanElement {
  return h('span', { class: 'swatch', style: `background:${colour}` });
}

/** What a mounted page gives back: how to take it down when the route changes. */
export interface MountedPage {
  unmount(): void;
}

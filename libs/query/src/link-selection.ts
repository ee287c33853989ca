import {
  parseDetectorId,
  ValidationError,
  type DetectorId,
  type TravelTimeEstimate,
} from '@message-bus/domain';
import type { LinkRef, LinkRepository } from '@message-bus/repository';

/**
 * Which links a travel-time request covers, as the wire's `LinkSelector` carries its
 * one choice: every link, one link, or every link into a destination.
 */
export type LinkSelectorInput =
  | { readonly all: boolean }
  | { readonly link: { readonly sourceDetectorId: string; readonly destDetectorId: string } }
  | { readonly destDetectorId: string };

/** A validated selector. */
export type LinkSelection =
  | { readonly kind: 'all' }
  | { readonly kind: 'link'; readonly link: LinkRef }
  | { readonly kind: 'destination'; readonly destination: DetectorId };

/**
 * Validates the request's `links`; undefined means the client chose nothing. Errors
 * name the wire fields, e.g. `links.link.source_detector_id`.
 */
export function parseLinkSelection(input: LinkSelectorInput | undefined): LinkSelection {
  if (input === undefined) {
    throw new ValidationError(
      'empty',
      'links',
      'is not set; choose links.all, links.link or links.dest_detector_id',
    );
  }
  if ('all' in input) {
    if (!input.all) {
      throw new ValidationError(
        'out_of_range',
        'links.all',
        'is false; set it to true to select every link, or choose links.link or links.dest_detector_id',
      );
    }
    return { kind: 'all' };
  }
  if ('link' in input) {
    const sourceField = 'links.link.source_detector_id';
    const source = parseDetectorId(input.link.sourceDetectorId, sourceField);
    const destination = parseDetectorId(input.link.destDetectorId, 'links.link.dest_detector_id');
    // The same rule as creating a link, so a query never asks for a link that cannot exist.
    if (source === destination) {
      throw new ValidationError(
        'self_link',
        sourceField,
        `is the destination itself ("${destination}"); a detector cannot link to itself`,
      );
    }
    return { kind: 'link', link: { source, destination } };
  }
  return {
    kind: 'destination',
    destination: parseDetectorId(input.destDetectorId, 'links.dest_detector_id'),
  };
}

/**
 * The links a selection stands for now: one link as given (listed or not, so the
 * estimates of a deleted link stay readable), or the links the store lists, all or
 * into the destination, ordered by destination, then source.
 */
export async function selectedLinks(links: LinkRepository, selection: LinkSelection): Promise<LinkRef[]> {
  if (selection.kind === 'link') return [selection.link];
  const listed = await links.list(selection.kind === 'destination' ? selection.destination : undefined);
  return listed.map(({ source, destination }) => ({ source, destination }));
}

/** Whether an estimate belongs to a selected link; the test a stream applies to each new estimate. */
export function isSelected(selection: LinkSelection, estimate: TravelTimeEstimate): boolean {
  switch (selection.kind) {
    case 'all':
      return true;
    case 'destination':
      return estimate.destination === selection.destination;
    case 'link':
      return estimate.source === selection.link.source && estimate.destination === selection.link.destination;
  }
}

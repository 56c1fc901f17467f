// Control images for remote engines: the compiled prompt says which references it wants sent and
// how; this finds each one's photo and draws what the engine takes (an OpenPose skeleton from
// vision for pose ControlNets). A control that cannot be honoured is a typed error, never dropped.
import { PortraitistError } from '../errors/index.js';
import type { ControlRequest } from '../prompt/index.js';
import { drawPoseControl, type Vision } from '../vision/index.js';
import type { GenerationRequest, ReferenceImage } from './types.js';

/** Draws the OpenPose skeleton of a pose reference at the given size (PNG). */
export type PoseSkeletonSource = (
  reference: ReferenceImage,
  size: { readonly width: number; readonly height: number },
) => Promise<Uint8Array>;

/** A skeleton source that reads the body with vision and draws it as OpenPose does. */
export function poseSkeletonFromVision(vision: Vision): PoseSkeletonSource {
  return async (reference, size) => {
    const blueprint = await vision.analyze(reference.image, { source: reference.source });
    if (blueprint.body === null)
      throw new PortraitistError(
        'ENGINE_CAPABILITY',
        `${reference.source}: vision found no body to draw a pose skeleton from`,
        {
          source: reference.source,
          issues: [
            {
              path: 'references',
              message:
                'expected a pose reference showing a person for `references` but vision found no body',
            },
          ],
        },
      );
    return new Uint8Array(await drawPoseControl(blueprint, size));
  };
}

/** The photo sent with a request for one of the compiled prompt's control requests. */
export function referenceFor(
  request: GenerationRequest,
  control: ControlRequest,
  engine: string,
): ReferenceImage {
  const byRole = request.references.filter((r) => r.role === control.role);
  const found =
    byRole.find((r) => r.source === control.image || control.image.endsWith(r.source)) ?? byRole[0];
  if (found !== undefined) return found;
  const message = `expected the photo of the ${control.role} reference ${control.image} for \`references\` but received none with role ${control.role}`;
  throw new PortraitistError(
    'ENGINE_CAPABILITY',
    `${engine}: the brief's ${control.role} reference (${control.image}) has no photo to send`,
    { issues: [{ path: 'references', message }] },
  );
}

/** The OpenPose skeleton for a pose control, or a typed error when there is no way to draw it. */
export async function poseSkeleton(
  request: GenerationRequest,
  control: ControlRequest,
  engine: string,
  source: PoseSkeletonSource | undefined,
  size: { readonly width: number; readonly height: number },
): Promise<Uint8Array> {
  const reference = referenceFor(request, control, engine);
  if (source === undefined)
    throw new PortraitistError(
      'ENGINE_CAPABILITY',
      `${engine}: the pose reference ${control.image} needs its OpenPose skeleton drawn, and this engine was made without vision (pass \`vision\`)`,
      {
        issues: [
          {
            path: 'vision',
            message:
              'expected a vision session for `vision` to draw pose skeletons but received none',
          },
        ],
      },
    );
  return source(reference, size);
}

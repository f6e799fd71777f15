// Which root filesystem an image name runs from on this node. Until the image
// store lands, the built-in busybox image serves every busybox reference.
import { ensureBusyboxRootfs } from '../image/builtin-busybox.js';

export interface ResolvedImage {
  /** the image's root filesystem directory */
  root: string;
  /** the image config's Entrypoint and Cmd, which command and args override as upstream */
  entrypoint: string[];
  cmd: string[];
}

export interface ImageResolver {
  /** the image, or undefined if the node does not have it */
  resolve(image: string): ResolvedImage | undefined;
}

export function builtinImages(storeDir: string): ImageResolver {
  let busybox: string | undefined;
  return {
    resolve(image: string) {
      const repo = image.split('@')[0].replace(/:[^/:]+$/, '').replace(/^(docker\.io\/)?(library\/)?/, '');
      if (repo !== 'busybox') return undefined;
      busybox ??= ensureBusyboxRootfs(storeDir);
      return { root: busybox, entrypoint: [], cmd: ['sh'] };
    },
  };
}

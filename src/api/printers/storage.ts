// Storage: PersistentVolumes, PersistentVolumeClaims and StorageClasses.
import type { Printer } from './table-types.js';
import { AGE, NAME, col, str, wide, type Obj } from './columns.js';
import { DOCS } from './docs.js';
import { since } from './duration.js';
import { quantityValue } from './quantity.js';

const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

/** helper.GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order, each once. */
export function accessModes(modes: unknown): string {
  const have = new Set(Array.isArray(modes) ? modes : []);
  const out: string[] = [];
  if (have.has('ReadWriteOnce')) out.push('RWO');
  if (have.has('ReadOnlyMany')) out.push('ROX');
  if (have.has('ReadWriteMany')) out.push('RWX');
  if (have.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

/** The beta annotation wins over spec.storageClassName, as upstream's helpers read it. */
function storageClass(o: Obj): string {
  const ann = o.metadata?.annotations ?? {};
  if (BETA_CLASS_ANNOTATION in ann) return str(ann[BETA_CLASS_ANNOTATION]);
  return str(o.spec?.storageClassName);
}

const phase = (o: Obj) => (o.metadata?.deletionTimestamp ? 'Terminating' : str(o.status?.phase));
const unset = (v: unknown) => (typeof v === 'string' ? v : '<unset>');

export const persistentVolumePrinter: Printer = {
  columns: [
    NAME,
    col('Capacity', DOCS.PersistentVolumeSpec.capacity),
    col('Access Modes', DOCS.PersistentVolumeSpec.accessModes),
    col('Reclaim Policy', DOCS.PersistentVolumeSpec.persistentVolumeReclaimPolicy),
    col('Status', DOCS.PersistentVolumeStatus.phase),
    col('Claim', DOCS.PersistentVolumeSpec.claimRef),
    col('StorageClass', 'StorageClass of the pv'),
    col('VolumeAttributesClass', 'VolumeAttributesClass of the pv'),
    col('Reason', DOCS.PersistentVolumeStatus.reason),
    AGE,
    wide('VolumeMode', DOCS.PersistentVolumeSpec.volumeMode),
  ],
  rows(o: Obj, now) {
    const spec: Obj = o.spec ?? {};
    const claim = spec.claimRef ? `${str(spec.claimRef.namespace)}/${str(spec.claimRef.name)}` : '';
    return [
      [
        o.metadata.name,
        quantityValue(spec.capacity?.storage),
        accessModes(spec.accessModes),
        str(spec.persistentVolumeReclaimPolicy),
        phase(o),
        claim,
        storageClass(o),
        unset(spec.volumeAttributesClassName),
        str(o.status?.reason),
        since(o.metadata.creationTimestamp, now),
        unset(spec.volumeMode),
      ],
    ];
  },
};

export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    NAME,
    col('Status', DOCS.PersistentVolumeClaimStatus.phase),
    col('Volume', DOCS.PersistentVolumeClaimSpec.volumeName),
    col('Capacity', DOCS.PersistentVolumeClaimStatus.capacity),
    col('Access Modes', DOCS.PersistentVolumeClaimStatus.accessModes),
    col('StorageClass', 'StorageClass of the pvc'),
    col('VolumeAttributesClass', 'VolumeAttributesClass of the pvc'),
    AGE,
    wide('VolumeMode', DOCS.PersistentVolumeClaimSpec.volumeMode),
  ],
  rows(o: Obj, now) {
    const spec: Obj = o.spec ?? {};
    const bound = str(spec.volumeName) !== '';
    return [
      [
        o.metadata.name,
        phase(o),
        str(spec.volumeName),
        bound ? quantityValue(o.status?.capacity?.storage) : '',
        bound ? accessModes(o.status?.accessModes) : '',
        storageClass(o),
        unset(spec.volumeAttributesClassName),
        since(o.metadata.creationTimestamp, now),
        unset(spec.volumeMode),
      ],
    ];
  },
};

const isDefaultClass = (o: Obj) => {
  const ann = o.metadata?.annotations ?? {};
  return (
    ann['storageclass.kubernetes.io/is-default-class'] === 'true' ||
    ann['storageclass.beta.kubernetes.io/is-default-class'] === 'true'
  );
};

export const storageClassPrinter: Printer = {
  columns: [
    NAME,
    col('Provisioner', DOCS.StorageClass.provisioner),
    col('ReclaimPolicy', DOCS.StorageClass.reclaimPolicy),
    col('VolumeBindingMode', DOCS.StorageClass.volumeBindingMode),
    col('AllowVolumeExpansion', DOCS.StorageClass.allowVolumeExpansion),
    AGE,
  ],
  rows: (o: Obj, now) => [
    [
      isDefaultClass(o) ? `${o.metadata.name} (default)` : o.metadata.name,
      str(o.provisioner),
      typeof o.reclaimPolicy === 'string' ? o.reclaimPolicy : 'Delete',
      typeof o.volumeBindingMode === 'string' ? o.volumeBindingMode : 'Immediate',
      o.allowVolumeExpansion === true,
      since(o.metadata.creationTimestamp, now),
    ],
  ],
};

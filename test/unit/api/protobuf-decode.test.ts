// Protobuf request bodies (what kubectl create and client-go typed clients
// send) decode to the JSON form: Go structs embedded inline put their fields in
// the parent object. Bodies are built with the wire writer, field numbers from
// upstream's generated.proto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtobufObject } from '../../../src/api/protobuf/decode.js';
import { messageField, stringField } from '../../../src/api/protobuf/writer.js';

function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  const unknown = Buffer.concat([messageField(1, [stringField(1, apiVersion), stringField(2, kind)]), messageField(2, [raw])]);
  return Buffer.concat([Buffer.from('k8s\0', 'binary'), unknown]);
}

test('an Ingress rule\'s http sits in the rule (IngressRuleValue is inline)', () => {
  // Ingress{metadata{name}, spec{rules[{host, ingressRuleValue{http{paths[{path, pathType}]}}}]}}
  const path = messageField(1, [stringField(1, '/'), stringField(3, 'Prefix')]);
  const rule = Buffer.concat([stringField(1, 'web.test'), messageField(2, [messageField(1, [path])])]);
  const raw = Buffer.concat([messageField(1, [stringField(1, 'web')]), messageField(2, [messageField(3, [rule])])]);
  const obj = decodeProtobufObject(envelope('networking.k8s.io/v1', 'Ingress', raw));
  assert.deepEqual(obj, { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web' }, spec: { rules: [{ host: 'web.test', http: { paths: [{ path: '/', pathType: 'Prefix' }] } }] } });
});

test('a Volume\'s source and a Probe\'s handler sit in the parent object', () => {
  // Pod{spec{volumes[{name, volumeSource{emptyDir{}}}], containers[{name, livenessProbe{handler{exec{command}}}}]}}
  const volume = Buffer.concat([stringField(1, 'scratch'), messageField(2, [messageField(2, [])])]);
  const probe = messageField(1, [messageField(1, [stringField(1, 'true')])]);
  const container = Buffer.concat([stringField(1, 'c'), messageField(10, [probe])]);
  const raw = Buffer.concat([messageField(1, [stringField(1, 'p')]), messageField(2, [messageField(1, [volume]), messageField(2, [container])])]);
  const obj = decodeProtobufObject(envelope('v1', 'Pod', raw)) as { spec: { volumes: object[]; containers: Array<{ livenessProbe: object }> } };
  assert.deepEqual(obj.spec.volumes, [{ name: 'scratch', emptyDir: {} }]);
  assert.deepEqual(obj.spec.containers[0]!.livenessProbe, { exec: { command: ['true'] } });
});

test('zeros of omitempty non-pointer fields are absent, as Go\'s JSON leaves them; pointer zeros stay', () => {
  // Deployment{spec{replicas 0 (a *int32: kept), minReadySeconds 0 (int32 omitempty: dropped), paused false (dropped)}}
  const varint0 = (field: number) => Buffer.from([(field << 3) | 0, 0]);
  const raw = Buffer.concat([messageField(1, [stringField(1, 'd')]), messageField(2, [varint0(1), varint0(5), varint0(7)])]);
  const obj = decodeProtobufObject(envelope('apps/v1', 'Deployment', raw)) as { spec: object };
  assert.deepEqual(obj.spec, { replicas: 0 });
  // an env var's configMapKeyRef names its ConfigMap through an inline LocalObjectReference
  const keyRef = Buffer.concat([messageField(1, [stringField(1, 'cfg')]), stringField(2, 'k')]);
  const env = Buffer.concat([stringField(1, 'E'), messageField(3, [messageField(3, [keyRef])])]);
  const pod = Buffer.concat([messageField(1, [stringField(1, 'p')]), messageField(2, [messageField(2, [stringField(1, 'c'), messageField(7, [env])])])]);
  const p = decodeProtobufObject(envelope('v1', 'Pod', pod)) as { spec: { containers: Array<{ env: object[] }> } };
  assert.deepEqual(p.spec.containers[0]!.env, [{ name: 'E', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }]);
});

test('JSON names come from the Go tags where the .proto spells them otherwise (BoundObjectReference uID -> uid)', () => {
  // TokenRequest{spec{boundObjectRef{kind 1, apiVersion 2, name 3, uID 4}}}
  const ref = Buffer.concat([stringField(1, 'Pod'), stringField(2, 'v1'), stringField(3, 'p'), stringField(4, 'abc')]);
  const raw = messageField(2, [messageField(3, [ref])]);
  const obj = decodeProtobufObject(envelope('authentication.k8s.io/v1', 'TokenRequest', raw)) as { spec: { boundObjectRef: object } };
  assert.deepEqual(obj.spec.boundObjectRef, { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: 'abc' });
});

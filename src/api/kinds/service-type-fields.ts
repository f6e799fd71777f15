// Fields a Service's type change leaves behind, dropped on update before
// validation as upstream's service strategy does: node ports the old type held
// (when unchanged), the ClusterIP and IP families of one turned ExternalName.
// A value the client changed is kept, so validation can refuse it.
type Obj = Record<string, any>;

const NODE_PORT_TYPES = new Set(['NodePort', 'LoadBalancer']);

export function dropTypeDependentFields(s: Obj, os: Obj): void {
  if (s.type === os.type) return;
  if (s.type === 'ExternalName') {
    if (s.clusterIP === os.clusterIP || s.clusterIP === undefined) {
      delete s.clusterIP;
      delete s.clusterIPs;
    }
    if (JSON.stringify(s.ipFamilies) === JSON.stringify(os.ipFamilies)) delete s.ipFamilies;
    if (s.ipFamilyPolicy === os.ipFamilyPolicy) delete s.ipFamilyPolicy;
    if (s.internalTrafficPolicy === os.internalTrafficPolicy) delete s.internalTrafficPolicy;
  }
  if (!NODE_PORT_TYPES.has(s.type)) {
    const held = new Set(((Array.isArray(os.ports) ? os.ports : []) as Obj[]).map((p) => p?.nodePort).filter(Boolean));
    // new port objects: a patched object may share them with the stored one
    if (Array.isArray(s.ports)) {
      s.ports = s.ports.map((p: Obj) => {
        if (!p || typeof p !== 'object' || !held.has(p.nodePort)) return p;
        const copy = { ...p };
        delete copy.nodePort;
        return copy;
      });
    }
    if (s.allocateLoadBalancerNodePorts === os.allocateLoadBalancerNodePorts) delete s.allocateLoadBalancerNodePorts;
    if (s.externalTrafficPolicy === os.externalTrafficPolicy) delete s.externalTrafficPolicy;
  }
  if (s.type !== 'LoadBalancer' && s.healthCheckNodePort === os.healthCheckNodePort) delete s.healthCheckNodePort;
}

// The "internet" the namespace tests use, all of it inside namespaces of one run (netns.ts):
//
//   srv 10.1.0.2 ── sgw (1:1 NAT: 203.0.113.10 ⇄ 10.1.0.2) ── net (router: 203.0.113.1, bridge 198.51.100.1)
//                                                                 ├── direct  198.51.100.20           (no NAT)
//                                                                 ├── homegw  198.51.100.30 MASQUERADE ── home  192.168.2.2
//                                                                 └── nudpgw  198.51.100.40 MASQUERADE, UDP dropped ── noudp 192.168.3.2
//
// The server's public address exists only on the NAT in front of it; nothing routes to 10.1.0.0/24 from outside
// (as on the internet) except what the NAT forwards, so a client reaches the server at 203.0.113.10 or not at all.
import { Lab } from './netns.js';

export const PUBLIC_IP = '203.0.113.10';
export const SERVER_IP = '10.1.0.2';

export interface Topology {
  lab: Lab;
  server: string;
  /** The client namespaces: on the internet, behind a home NAT, behind a NAT that drops all UDP. */
  clients: { direct: string; home: string; noudp: string };
}

export function buildTopology(lab: Lab): Topology {
  const srv = lab.add('srv');
  const sgw = lab.add('sgw', { router: true });
  const net = lab.add('net', { router: true });
  lab.link({ ns: srv, dev: 'eth0', addr: `${SERVER_IP}/24` }, { ns: sgw, dev: 'lan', addr: '10.1.0.1/24' });
  lab.route(srv, '10.1.0.1');
  lab.link({ ns: sgw, dev: 'wan', addr: `${PUBLIC_IP}/24` }, { ns: net, dev: 'srvside', addr: '203.0.113.1/24' });
  lab.route(sgw, '203.0.113.1');

  // 1:1 NAT: everything to the public address goes to the server, everything from the server leaves as it.
  lab.iptables(sgw, 'nat', '-A', 'PREROUTING', '-d', PUBLIC_IP, '-j', 'DNAT', '--to-destination', SERVER_IP);
  lab.iptables(sgw, 'nat', '-A', 'POSTROUTING', '-s', SERVER_IP, '-o', 'wan', '-j', 'SNAT', '--to-source', PUBLIC_IP);
  // Hairpin: the server reaching its own public address (a TURN relay on it) comes back from that public address.
  lab.iptables(sgw, 'nat', '-A', 'POSTROUTING', '-s', SERVER_IP, '-d', SERVER_IP, '-o', 'lan', '-j', 'SNAT', '--to-source', PUBLIC_IP);
  // The private network is not routed from outside: only what the NAT forwarded reaches it.
  lab.iptables(sgw, 'filter', '-A', 'FORWARD', '-i', 'wan', '-d', '10.1.0.0/24', '-m', 'conntrack', '!', '--ctstate', 'DNAT,ESTABLISHED,RELATED', '-j', 'DROP');

  lab.ip(net, 'link', 'add', 'br0', 'type', 'bridge');
  lab.ip(net, 'addr', 'add', '198.51.100.1/24', 'dev', 'br0');
  lab.ip(net, 'link', 'set', 'br0', 'up');
  const onInternet = (ns: string, addr: string) => {
    const dev = `to-${ns.slice(lab.prefix.length)}`.slice(0, 15);
    lab.link({ ns, dev: 'wan', addr: `${addr}/24` }, { ns: net, dev });
    lab.ip(net, 'link', 'set', dev, 'master', 'br0');
    lab.route(ns, '198.51.100.1');
  };

  const direct = lab.add('direct');
  onInternet(direct, '198.51.100.20');

  /** A client behind its own NAT router (MASQUERADE), on a private network `192.168.<n>.0/24`. */
  const behindNat = (name: string, n: number, wanAddr: string, dropUdp: boolean) => {
    const gw = lab.add(`${name}gw`, { router: true });
    onInternet(gw, wanAddr);
    const client = lab.add(name);
    lab.link({ ns: client, dev: 'eth0', addr: `192.168.${n}.2/24` }, { ns: gw, dev: 'lan', addr: `192.168.${n}.1/24` });
    lab.route(client, `192.168.${n}.1`);
    lab.iptables(gw, 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE');
    if (dropUdp) lab.iptables(gw, 'filter', '-A', 'FORWARD', '-p', 'udp', '-j', 'DROP'); // both directions
    return client;
  };
  const home = behindNat('home', 2, '198.51.100.30', false);
  const noudp = behindNat('noudp', 3, '198.51.100.40', true);

  return { lab, server: srv, clients: { direct, home, noudp } };
}

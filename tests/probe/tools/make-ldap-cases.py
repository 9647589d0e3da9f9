#!/usr/bin/env python3
"""tests/probe/tools/make-ldap-cases.py -- build the LDAP replay cases of servers that
cannot run here (Active Directory, 389 Directory Server, eDirectory) from recorded public
material in tests/fixtures/recorded/ldap/ (rows in tests/fixtures/recorded/SOURCES.md).

  ad-w2k3-rootdse        bytes recorded from real servers: the BindResponse of an AD global
                         catalog (arkime's ldap-simpleauth.pcap) and the root DSE entry + done of a
                         Windows Server 2003 DC (Wireshark's ldap-krb5-sign-seal-01 capture), with
                         one change: the root DSE messageID 213 of that capture is re-encoded as 2
                         (the probe's), the outer 4-byte length shrunk by one to match. The four
                         naming-context refusals are assembled: operationsError with the
                         diagnostic text AD sends, quoted in public issues (fixtures' ad-errors).
  ad-2012r2-assembled    the same BindResponse bytes; the root DSE entry encoded here from the
                         attribute values ldap3 recorded from a real AD 2012 R2 (the attributes
                         the probe asks for, in the recorded order); refusals as above.
  389ds-2.0.17-assembled root DSE entry from ldap3's values for 389 Directory Server 2.0.17;
                         a minimal BindResponse; the recording ends after the root DSE (nothing
                         is known of its naming context's access).
  edir-9.1.4-assembled   the same for NetIQ eDirectory 9.1.4 (namingContexts is "": no search).

Only the case responses (N.resp/N.eof) are written; expect.json and README.md are by hand.
"""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
FIX = os.path.join(ROOT, "tests", "fixtures", "recorded", "ldap")
CASES = os.path.join(ROOT, "tests", "probe", "cases", "ldap")

# what the probe asks the root DSE for (src/probe/ldap.c rootdse_attrs)
ROOTDSE_ATTRS = ["objectClass", "namingContexts", "supportedLDAPVersion", "vendorName",
                 "vendorVersion", "supportedSASLMechanisms", "supportedExtension",
                 "supportedCapabilities", "defaultNamingContext", "dnsHostName", "serverName",
                 "domainFunctionality", "forestFunctionality", "domainControllerFunctionality",
                 "isGlobalCatalogReady"]


def tcp_payloads(path, server_port):
    """Server-to-client TCP payloads of a classic pcap, in capture order."""
    d = open(path, "rb").read()
    magic = struct.unpack("<I", d[:4])[0]
    e = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    link = struct.unpack(e + "I", d[20:24])[0]
    off, out = 24, []
    while off + 16 <= len(d):
        incl = struct.unpack(e + "IIII", d[off:off + 16])[2]
        pkt = d[off + 16:off + 16 + incl]
        off += 16 + incl
        if link == 1:  # Ethernet, maybe with one 802.1Q tag
            pkt = pkt[18:] if pkt[12:14] == b"\x81\x00" else pkt[14:]
        if not pkt or pkt[0] >> 4 != 4 or pkt[9] != 6:
            continue
        ihl = (pkt[0] & 15) * 4
        tot = struct.unpack(">H", pkt[2:4])[0]
        tcp = pkt[ihl:tot]
        sport = struct.unpack(">H", tcp[:2])[0]
        pl = tcp[(tcp[12] >> 4) * 4:]
        if pl and sport == server_port:
            out.append(pl)
    return out


def tlv_len(b, i):
    """(header length, content length) of the element at b[i]."""
    l = b[i + 1]
    if l < 0x80:
        return 2, l
    k = l & 0x7F
    return 2 + k, int.from_bytes(b[i + 2:i + 2 + k], "big")


def messages(stream):
    i, out = 0, []
    while i < len(stream):
        h, n = tlv_len(stream, i)
        out.append(stream[i:i + h + n])
        i += h + n
    return out


def length(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, content):
    return bytes([tag]) + length(len(content)) + content


def tlv84(tag, content):
    """Active Directory's style for constructed elements: always a 4-byte length."""
    return bytes([tag, 0x84]) + len(content).to_bytes(4, "big") + content


def integer(v):
    return tlv(0x02, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True))


def renumber(msg, new_id):
    """An AD-encoded LDAPMessage (30 84 LLLL, then messageID) with another messageID."""
    assert msg[0] == 0x30 and msg[1] == 0x84
    body = msg[6:]
    h, n = tlv_len(body, 0)
    assert body[0] == 0x02
    return tlv84(0x30, integer(new_id) + body[h + n:])


def entry(msg_id, dn, attrs, ad_style):
    wrap = tlv84 if ad_style else tlv
    pas = b"".join(wrap(0x30, tlv(0x04, k.encode()) + wrap(0x31, b"".join(tlv(0x04, v.encode()) for v in vals)))
                   for k, vals in attrs)
    op = wrap(0x64, tlv(0x04, dn.encode()) + wrap(0x30, pas))
    return wrap(0x30, integer(msg_id) + op)


def done(msg_id, code, message, ad_style, op=0x65):
    wrap = tlv84 if ad_style else tlv
    res = tlv(0x0A, bytes([code])) + tlv(0x04, b"") + tlv(0x04, message)
    return wrap(0x30, integer(msg_id) + wrap(op, res))


def requested(raw):
    """The recorded attributes the probe asks for, in the recorded order."""
    want = {a.lower() for a in ROOTDSE_ATTRS}
    return [(k, v) for k, v in raw.items() if k.lower() in want]


def write_case(name, responses, eof_last=False):
    d = os.path.join(CASES, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.endswith(".resp") or f.endswith(".eof"):
            os.unlink(os.path.join(d, f))
    for i, r in enumerate(responses, 1):
        open(os.path.join(d, "%d.resp" % i), "wb").write(r)
    if eof_last:
        open(os.path.join(d, "%d.eof" % len(responses)), "wb").close()
    print(name, [len(r) for r in responses])


def ad_refusal(path, which):
    """The diagnostic text of one quoted AD refusal, with AD's trailing NUL."""
    for line in open(path, encoding="utf-8"):
        if line.startswith(which + "\t"):
            return line.rstrip("\n").split("\t", 1)[1].encode() + b"\x00"
    sys.exit("no AD refusal text " + which)


def main():
    gc = tcp_payloads(os.path.join(FIX, "ad-gc", "ldap-simpleauth.pcap"), 3268)
    bind_ad = gc[0]  # 30 84 00 00 00 10 02 01 01 61 84 ...: success, messageID 1
    assert bind_ad[9] == 0x61 and bind_ad[8] == 1
    errs = os.path.join(FIX, "ad-errors", "operations-error.tsv")

    # Windows Server 2003: recorded root DSE, refusals assembled
    w2k3 = b"".join(tcp_payloads(os.path.join(FIX, "ad-w2k3", "ldap-krb5-sign-seal-01.pcap"), 389))
    msgs = messages(w2k3)
    ent, dn_ = msgs[0], msgs[1]
    assert ent[8:11] == b"\x00\xd5\x64" and dn_[8:11] == b"\x00\xd5\x65"
    rootdse = renumber(ent, 2) + renumber(dn_, 2)
    refuse = ad_refusal(errs, "ldapjs-100")
    write_case("ad-w2k3-rootdse", [bind_ad, rootdse] + [done(3 + i, 1, refuse, True) for i in range(4)])

    # AD 2012 R2: the entry from ldap3's recorded values
    raw = json.load(open(os.path.join(FIX, "ldap3-dsa-info", "ad2012R2.dsa_info.json")))["raw"]
    rootdse = entry(2, "", requested(raw), True) + done(2, 0, b"", True)
    refuse = ad_refusal(errs, "ldap-ui-9")
    write_case("ad-2012r2-assembled", [bind_ad, rootdse] + [done(3 + i, 1, refuse, True) for i in range(4)])

    # 389 DS 2.0.17 and eDirectory 9.1.4: the recording ends after the root DSE
    bind_min = done(1, 0, b"", False, op=0x61)
    for name, src in (("389ds-2.0.17-assembled", "ds389_2_0_17"), ("edir-9.1.4-assembled", "edir914")):
        raw = json.load(open(os.path.join(FIX, "ldap3-dsa-info", src + ".dsa_info.json")))["raw"]
        rootdse = entry(2, "", requested(raw), False) + done(2, 0, b"", False)
        write_case(name, [bind_min, rootdse])


if __name__ == "__main__":
    main()

# bench/lib.sh -- sourced by the benchmarks: timing helpers and the "silent" mode of the ones that
# run inside their own network namespace (bench/discovery.sh, bench/syn.sh), and the build of
# bench/store_gen.c (bench/store.sh, bench/store_floor.sh).

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
now() { date +%s.%N; }

# silent_on PLANTED: drop SYNs to every 127/8 address but the planted ones ("ip:port" lines),
# as most of the internet does not answer; silent_off undoes it.
silent_on() {
    local set
    set=$(cut -d: -f1 "$1" | sort -u | paste -sd, -)
    nft -f - <<NFT
table inet ajarbench {
  set planted { type ipv4_addr; elements = { $set } }
  chain out { type filter hook output priority 0; policy accept;
    ip daddr 127.0.0.0/8 ip daddr != @planted tcp flags & (syn|ack) == syn drop
  }
}
NFT
}
silent_off() { nft delete table inet ajarbench 2>/dev/null; }

# silent_ingress_on PLANTED: the same silence where frames arrive (a netdev ingress hook on lo),
# so that it holds for SYNs written as Ethernet frames too (AF_PACKET: ajar's mmsg and ring
# methods, masscan, zmap), which never pass the output hook silent_on uses. Every sender then
# pays lo's transmit and receive for each silent SYN, as a real one pays its NIC and wire.
silent_ingress_on() {
    local set
    set=$(cut -d: -f1 "$1" | sort -u | paste -sd, -)
    nft -f - <<NFT
table netdev ajarbench_in {
  set planted { type ipv4_addr; elements = { $set } }
  chain in { type filter hook ingress device lo priority 0; policy accept;
    ip daddr 127.0.0.0/8 ip daddr != @planted tcp flags & (syn|ack) == syn drop
  }
}
NFT
}
silent_ingress_off() { nft delete table netdev ajarbench_in 2>/dev/null; }

# lo_for_pcap: make lo friendly to masscan's libpcap receiver -- run inside the namespace only.
# In immediate mode (TPACKET_V2) libpcap sizes each slot of its capture ring for the largest
# packet the interface can hand it, up to the snapshot length (masscan asks for 64 KB):
# with lo's 64 KB MTU and its segmentation/receive offloads on, that is 64 KB, so masscan's
# 2 MB ring (it sets no buffer size) holds 32 packets and drops most replies at any rate
# (it found 20-40 of 100 planted ports at 20,000 to 10,000,000 SYNs/s). An MTU of 256 with TSO,
# GSO and GRO off gives slots of about 350 bytes (~6,000 of them). Scans here carry no data:
# SYNs, SYN-ACKs and RSTs are 40-60 bytes, so nothing else changes. The offloads are switched
# with the ethtool ioctl (ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_SGRO) so ethtool is not needed.
lo_for_pcap() {
    ip link set dev lo mtu 256 || return 1
    python3 - <<'PY'
import array, fcntl, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for cmd in (0x1f, 0x24, 0x2c):  # ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_SGRO
    buf = array.array("B", struct.pack("II", cmd, 0))
    fcntl.ioctl(s.fileno(), 0x8946, struct.pack("16sP", b"lo", buf.buffer_info()[0]))  # SIOCETHTOOL
PY
}

# The release library, and bench/store_gen.c against it, into bench/out/store_gen.
build_store_gen() {
    make -s -j2 build/libajar.a || return 1
    mkdir -p bench/out
    # shellcheck disable=SC2046
    cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Isrc \
        $(pkg-config --cflags jansson sqlite3 libpq) bench/store_gen.c build/libajar.a \
        $(pkg-config --libs openssl sqlite3 jansson libpq yaml-0.1 libpcre2-8) -lm -lpthread -o bench/out/store_gen
}

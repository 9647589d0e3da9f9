# bench/lib.sh -- sourced by the benchmarks that run inside their own network namespace
# (bench/discovery.sh, bench/syn.sh): timing helpers and the "silent" mode.

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

# tests/t_bench_lib.sh - the benchmarks' shared library (scripts/bench-lib.sh)
# computes what its figures claim: medians and spreads, verdicts against
# targets, peer and tapefs interleaved round by round, the results row
# scripts/bench builds its table from, and the daemon figures it reads
# from /proc. (The benchmarks themselves are not run here: `make bench`,
# or `BENCH_QUICK=1 make bench` for a smoke run.)
. "$TOP/tests/lib.sh"
export BENCH_DIR=$PWD/bench BENCH_RESULTS=$PWD/results.tsv
. "$TOP/scripts/bench-lib.sh"
BL_PART=bench-test BL_LOAD0=0.50

check_eq "median, min, max, count of an odd count" "2 1 3 3" "$(bl_stats 3 1 2)"
check_eq "median of an even count is the mean of the middle two" "2.5 1 4 4" "$(bl_stats 4 1 3 2)"
check_eq "values sort as numbers, not text" "9 2 10 3" "$(bl_stats 10 9 2)"
check_eq "bl_calc: a comparison is arithmetic, not a redirection" "0.7" "$(bl_calc "0.4 > 0.7 ? 0.4 : 0.7")"
check "and made no file" test ! -e 0.7
a=(2 4 6) b=(1 2 4)
check_eq "element-wise ratios" "2 2 1.5" "$(bl_ratios a b | tr '\n' ' ' | sed 's/ $//')"

line=$(bl_figure "dump vs tar" ">=" 0.9 "" 0.8 0.95 0.91)
check_eq "a ratio figure: median, count, spread, target, verdict" \
	"dump vs tar: 0.91 (median of 3, spread 0.8–0.95) target >= 0.9 [ok]" "$line"
line=$(bl_figure "stat p99" "<" 1 ms 1.5 0.2 1.2)
check_eq "a figure with a unit, missed" \
	"stat p99: 1.2 ms (median of 3, spread 0.2–1.5) target < 1 ms [BELOW]" "$line"
check "a <= target is met at equality" grep -q '\[ok\]' <<<"$(bl_figure x "<=" 1.05 "" 1.05)"
check "a >= target is missed just below" grep -q '\[BELOW\]' <<<"$(bl_figure x ">=" 0.95 "" 0.949)"
row=$(sed -n 1p results.tsv)
check_eq "the results row: part, figure, target, median, spread, N, date, verdict" \
	"bench-test|dump vs tar|>= 0.9|0.91|0.8–0.95|3|$(date +%F)|ok" \
	"$(cut -f1-7,9 <<<"$row" | tr '\t' '|')"
check "and the load at the start and at the figure" grep -Eq '^0\.50–[0-9.]+$' <<<"$(cut -f8 <<<"$row")"
check_eq "one row per figure" 4 "$(wc -l <results.tsv)"

# interleaved rounds: A B A B A B, each timed or timing itself
order=
peer() { order+=A; BL_T=2; }
ours() { order+=B; BL_T=4; }
BL_ROUNDS=3
bl_abab peer ours
check_eq "rounds alternate peer and tapefs" ABABAB "$order"
check_eq "per-round ratios peer / tapefs" "0.5 0.5 0.5" "${BL_R[*]}"
untimed() { bl_nap 0.05; }
bl_run untimed
check "a function that sets no time is timed whole" awk -v t="$BL_T" 'BEGIN { exit !(t >= 0.04 && t < 5) }'
check_fails "a failing measurement ends the part" "failed at line" \
	bash -c '. "$TOP/scripts/bench-lib.sh"; bl_init x; f() { false; }; bl_run f; echo "not reached" >&2'

# the daemon figures, from /proc
sh -c 'while :; do :; done' &
spin=$!
cpu=0
for _ in $(seq 200); do
	cpu=$(bl_cpu "$spin")
	awk -v c="$cpu" 'BEGIN { exit !(c > 0) }' && break
	bl_nap 0.05
done
kill "$spin"
check "bl_cpu counts a busy process's CPU time" awk -v c="$cpu" 'BEGIN { exit !(c > 0 && c < 20) }'
check "bl_cpu of no process is 0" test "$(bl_cpu 999999999)" = 0
check "bl_mem reads VmRSS in MB" awk -v m="$(bl_mem $$ VmRSS)" 'BEGIN { exit !(m > 0.1 && m < 1000) }'

# config, sizes, trash
bl_config t.ini copies=2 dump.idle=5 library.drives=4 staging=/x
check_eq "a config: base keys, overrides in place, new keys in their section" "[tapefs]
staging = /x
catalog = cat.db
cache = cache
copies = 2
[dump]
bytes = 1T
files = 1000000000
idle = 5
[library]
changer = vlib
path = lib
drives = 4" "$(cat t.ini)"
check_eq "full size" 100 "$(BENCH_QUICK='' bl_size 100 5)"
check_eq "quick size" 5 "$(BENCH_QUICK=1 bl_size 100 5)"
mkdir -p old/tree && touch old/tree/f
bl_trash old
check "bl_trash moves a tree out of the way" test ! -e old
check "into the trash, whole" test -e "$(echo "$BENCH_DIR"/trash/old.*/tree/f)"

#!/bin/bash
# Attention-basin profiles and AttnRank on the NQ split (runs/nq-split, seed 7): calibrated on 200 training questions
# (dense bge top k, 2 random orders each), evaluated on 300 held-out questions. Writes runs/attnrank/<reader>-k<k>/.
cd "$(dirname "$0")/../../.."
A=${ATTNIR:-bin/attnir}
mkdir -p runs/attnrank
for k in 5 10; do
  for reader in all-MiniLM-L6-v2 bge-small-en-v1.5 e5-small-v2; do
    out=runs/attnrank/$reader-k$k
    [ -f "$out/attnrank.json" ] && continue
    $A attention-profile --reader $reader --k $k --beir runs/nq-split --index runs/nq-split-bge/index \
      --calibration-split train --calibration-queries 200 --orders 2 --evaluate-split test --queries 300 \
      --output "$out" > "$out.log" 2>&1
  done
done

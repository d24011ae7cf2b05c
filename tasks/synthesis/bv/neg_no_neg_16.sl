; two's complement negation from bvnot and bvadd
(set-logic BV)
(synth-fun f ((x (_ BitVec 16))) (_ BitVec 16)
  ((S (_ BitVec 16))) ((S (_ BitVec 16) (x #x0000 #x0001 (bvnot S) (bvadd S S) (bvand S S)))))
(declare-var x (_ BitVec 16))
(constraint (= (f x) (bvneg x)))
(check-synth)

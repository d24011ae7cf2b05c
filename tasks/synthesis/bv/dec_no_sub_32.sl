; clear the lowest set bit, 32 bits, without bvsub in the grammar
(set-logic BV)
(synth-fun f ((x (_ BitVec 32))) (_ BitVec 32)
  ((S (_ BitVec 32))) ((S (_ BitVec 32) (x #x00000000 #x00000001 (bvand S S) (bvor S S) (bvnot S) (bvadd S S)))))
(declare-var x (_ BitVec 32))
(constraint (= (f x) (bvand x (bvsub x #x00000001))))
(check-synth)

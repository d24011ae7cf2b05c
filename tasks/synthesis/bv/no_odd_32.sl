; infeasible: set the low bit from a finite grammar
(set-logic BV)
(synth-fun f ((x (_ BitVec 32))) (_ BitVec 32)
  ((S (_ BitVec 32))) ((S (_ BitVec 32) (x (bvshl x #x00000001)))))
(declare-var x (_ BitVec 32))
(constraint (= (f x) (bvor x #x00000001)))
(check-synth)

"""The composition floor: the one package allowed to combine capability packages.

A game day is incident drills plus chaos plus load plus reports; a troubleshooting drill is chaos faults plus the
decision tree plus the runbooks it links. Capability packages never import each other; the faces (``cli``,
``plugin``, ``bdd`` and the ``steps/`` bindings) call one capability directly, and anything that combines two lives
here.
"""

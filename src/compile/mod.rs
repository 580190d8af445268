//! Stage 3: checked program to decision DAG.

//! Lead readers and decision writers (the edge of the pipeline).

// Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, …) are macros that take the address of a library
// object, which Swift cannot import; these functions return them.
#include <mpi.h>

static inline MPI_Comm simile_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm simile_mpi_comm_null(void) { return MPI_COMM_NULL; }
static inline MPI_Datatype simile_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype simile_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype simile_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype simile_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op simile_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op simile_mpi_max(void) { return MPI_MAX; }
static inline MPI_Request simile_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *simile_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline void *simile_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Errhandler simile_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Info simile_mpi_info_null(void) { return MPI_INFO_NULL; }

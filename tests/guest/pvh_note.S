/* SPDX-License-Identifier: MIT */
/* XEN_ELFNOTE_PHYS32_ENTRY: only the PVH image links this in. */
	.section .note.Xen, "a", @note
	.balign	4
	.long	4		/* namesz: "Xen\0" */
	.long	8		/* descsz */
	.long	18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz	"Xen"
	.balign	4
	.quad	pvh_entry32

	.section .note.GNU-stack, "", @progbits

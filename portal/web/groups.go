package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
)

// prefill returns what the population database knows for the dossier's
// prefillable fields, so a client can offer it without re-typing.
func (a *api) prefill(c *gin.Context) {
	ctx := c.Request.Context()
	who := principal(ctx)
	d, err := a.dossiers.Get(ctx, who, c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	p, ok := a.catalog.Procedure(d.ProcedureCode)
	if !ok {
		writeError(c, portal.Errorf(portal.ECONFLICT, "procedure %s is no longer in the catalogue", d.ProcedureCode))
		return
	}
	form, err := a.dossiers.Prefill(ctx, who, p)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"dossier_id": d.ID, "procedure_code": p.Code, "form": form})
}

type createGroupRequest struct {
	GroupCode string            `json:"group_code"`
	Form      map[string]string `json:"form"`
}

// groupView is an interconnected application: its members progress together.
type groupView struct {
	GroupID   string        `json:"group_id"`
	GroupCode string        `json:"group_code"`
	Members   []dossierView `json:"members"`
}

func (a *api) groupView(groupID string, ds []*portal.Dossier) groupView {
	v := groupView{GroupID: groupID, Members: make([]dossierView, len(ds))}
	for i, d := range ds {
		v.Members[i] = a.dossierView(d, false)
		if p, ok := a.catalog.Procedure(d.ProcedureCode); ok && v.GroupCode == "" {
			v.GroupCode = p.Group
		}
	}
	return v
}

func (a *api) createGroup(c *gin.Context) {
	if a.groups == nil {
		writeError(c, portal.Errorf(portal.EUNAVAILABLE, "interconnected groups are not configured"))
		return
	}
	var req createGroupRequest
	if err := decodeJSON(c.Request, &req, false); err != nil {
		writeError(c, err)
		return
	}
	if strings.TrimSpace(req.GroupCode) == "" {
		writeError(c, portal.ValidationError("a group application needs a group", []portal.FieldError{{Field: "group_code", Message: "is required"}}))
		return
	}
	ctx := c.Request.Context()
	id, ds, err := a.groups.Create(ctx, principal(ctx), req.GroupCode, req.Form)
	if err != nil {
		writeError(c, err)
		return
	}
	v := a.groupView(id, ds)
	v.GroupCode = strings.TrimSpace(req.GroupCode)
	c.JSON(http.StatusCreated, v)
}

func (a *api) getGroup(c *gin.Context) {
	if a.groups == nil {
		writeError(c, portal.Errorf(portal.EUNAVAILABLE, "interconnected groups are not configured"))
		return
	}
	ctx := c.Request.Context()
	ds, err := a.groups.Members(ctx, principal(ctx), c.Param("group_id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, a.groupView(c.Param("group_id"), ds))
}

func (a *api) submitGroup(c *gin.Context) {
	if a.groups == nil {
		writeError(c, portal.Errorf(portal.EUNAVAILABLE, "interconnected groups are not configured"))
		return
	}
	ctx := c.Request.Context()
	ds, err := a.groups.Submit(ctx, principal(ctx), c.Param("group_id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, a.groupView(c.Param("group_id"), ds))
}
